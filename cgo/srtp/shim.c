#include <string.h>

#include "shim.h"

srtp_err_status_t lws_srtp_create(srtp_t *out, int profile, int inbound,
	const unsigned char *key, int key_len, const unsigned char *salt, int salt_len,
	unsigned long replay_window)
{
	// libsrtp reads the master key and the master salt as one buffer: key then salt.
	unsigned char master[SRTP_MAX_KEY_LEN];
	srtp_policy_t policy;
	srtp_err_status_t status;

	if (out == NULL || key == NULL || salt == NULL || key_len <= 0 || salt_len <= 0 ||
		key_len + salt_len > (int)sizeof(master)) {
		return srtp_err_status_bad_param;
	}
	if ((unsigned int)key_len != srtp_profile_get_master_key_length((srtp_profile_t)profile) ||
		(unsigned int)salt_len != srtp_profile_get_master_salt_length((srtp_profile_t)profile)) {
		return srtp_err_status_bad_param;
	}

	memset(&policy, 0, sizeof(policy));
	status = srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile);
	if (status != srtp_err_status_ok) {
		return status;
	}
	status = srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile);
	if (status != srtp_err_status_ok) {
		return status;
	}
	policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	policy.window_size = replay_window;
	// Outbound only: a NACKed packet may be sent again under the same sequence number.
	policy.allow_repeat_tx = inbound ? 0 : 1;
	policy.next = NULL;

	memcpy(master, key, (size_t)key_len);
	memcpy(master + key_len, salt, (size_t)salt_len);
	policy.key = master;

	*out = NULL;
	status = srtp_create(out, &policy);
	explicit_bzero(master, sizeof(master));
	return status;
}

int lws_srtp_transform(srtp_t ctx, int op, void *pkt, int len)
{
	srtp_err_status_t status;

	if (ctx == NULL || pkt == NULL || len < 0) {
		return -(int)srtp_err_status_bad_param;
	}
	switch (op) {
	case LWS_SRTP_PROTECT_RTP:
		status = srtp_protect(ctx, pkt, &len);
		break;
	case LWS_SRTP_PROTECT_RTCP:
		status = srtp_protect_rtcp(ctx, pkt, &len);
		break;
	case LWS_SRTP_UNPROTECT_RTP:
		status = srtp_unprotect(ctx, pkt, &len);
		break;
	case LWS_SRTP_UNPROTECT_RTCP:
		status = srtp_unprotect_rtcp(ctx, pkt, &len);
		break;
	default:
		return -(int)srtp_err_status_no_such_op;
	}
	if (status != srtp_err_status_ok) {
		return -(int)status;
	}
	return len;
}
