#include <stdlib.h>
#include <string.h>

#include "cbench.h"

static srtp_err_status_t create(srtp_t *ctx, srtp_profile_t profile, srtp_ssrc_type_t type)
{
	unsigned char key[SRTP_MAX_KEY_LEN] = {0};
	srtp_policy_t policy;
	srtp_err_status_t status;

	memset(&policy, 0, sizeof(policy));
	status = srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, profile);
	if (status != srtp_err_status_ok) {
		return status;
	}
	status = srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, profile);
	if (status != srtp_err_status_ok) {
		return status;
	}
	policy.ssrc.type = type;
	policy.key = key;
	policy.window_size = 1024;
	return srtp_create(ctx, &policy);
}

srtp_err_status_t cbench_new(struct cbench *b, int profile, int pkt_len)
{
	srtp_err_status_t status;

	if (b == NULL || pkt_len < 12) {
		return srtp_err_status_bad_param;
	}
	memset(b, 0, sizeof(*b));
	b->pkt = calloc(1, (size_t)pkt_len + SRTP_MAX_TRAILER_LEN);
	if (b->pkt == NULL) {
		return srtp_err_status_alloc_fail;
	}
	b->pkt_len = pkt_len;
	b->pkt[0] = 0x80; // RTP version 2, no CSRC, no extension
	b->pkt[1] = 96;
	b->pkt[11] = 1; // SSRC 1

	status = create(&b->out, (srtp_profile_t)profile, ssrc_any_outbound);
	if (status == srtp_err_status_ok) {
		status = create(&b->in, (srtp_profile_t)profile, ssrc_any_inbound);
	}
	if (status != srtp_err_status_ok) {
		cbench_free(b);
	}
	return status;
}

srtp_err_status_t cbench_run(struct cbench *b, long n)
{
	srtp_err_status_t status;
	int len;

	for (long i = 0; i < n; i++) {
		b->seq++;
		b->pkt[2] = (unsigned char)(b->seq >> 8);
		b->pkt[3] = (unsigned char)b->seq;
		len = b->pkt_len;
		status = srtp_protect(b->out, b->pkt, &len);
		if (status != srtp_err_status_ok) {
			return status;
		}
		status = srtp_unprotect(b->in, b->pkt, &len);
		if (status != srtp_err_status_ok) {
			return status;
		}
	}
	return srtp_err_status_ok;
}

srtp_err_status_t cbench_free(struct cbench *b)
{
	srtp_err_status_t status = srtp_err_status_ok, dealloc;

	if (b->in != NULL && (dealloc = srtp_dealloc(b->in)) != srtp_err_status_ok) {
		status = dealloc;
	}
	if (b->out != NULL && (dealloc = srtp_dealloc(b->out)) != srtp_err_status_ok) {
		status = dealloc;
	}
	free(b->pkt);
	memset(b, 0, sizeof(*b));
	return status;
}
