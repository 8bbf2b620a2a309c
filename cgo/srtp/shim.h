// C side of package srtp: every libsrtp call goes through these functions so that
// the Go side passes no Go pointer inside a C struct and receives plain integers back.
#ifndef LWS_SRTP_SHIM_H
#define LWS_SRTP_SHIM_H

#include <srtp2/srtp.h>

// The four packet transforms, one per direction and protocol.
enum lws_srtp_op {
	LWS_SRTP_PROTECT_RTP = 0,
	LWS_SRTP_PROTECT_RTCP = 1,
	LWS_SRTP_UNPROTECT_RTP = 2,
	LWS_SRTP_UNPROTECT_RTCP = 3,
};

// lws_srtp_create builds a context with one wildcard stream template: ssrc_any_inbound when
// inbound is non-zero (unprotect only), ssrc_any_outbound otherwise (protect only).
// profile is a DTLS-SRTP protection profile value, which libsrtp's srtp_profile_t shares.
// key and salt are copied (libsrtp derives its session keys from them) and the copy is wiped.
srtp_err_status_t lws_srtp_create(srtp_t *out, int profile, int inbound,
	const unsigned char *key, int key_len, const unsigned char *salt, int salt_len,
	unsigned long replay_window);

// lws_srtp_transform applies op in place to the len bytes at pkt. It returns the new length,
// or minus the srtp_err_status_t on failure (statuses are positive, success is 0).
int lws_srtp_transform(srtp_t ctx, int op, void *pkt, int len);

#endif
