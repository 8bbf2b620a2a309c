// The reference loop for package srtp's benchmark: protect and unprotect RTP packets by
// calling libsrtp directly, with no Go in between.
#ifndef LWS_CBENCH_H
#define LWS_CBENCH_H

#include <srtp2/srtp.h>

// A protecting and an unprotecting context of one profile sharing an all-zero master key,
// and the RTP packet they pass around.
struct cbench {
	srtp_t out;
	srtp_t in;
	unsigned char *pkt;
	int pkt_len;
	unsigned short seq;
};

// cbench_new sets up b for the given srtp_profile_t and packet length. libsrtp must already be
// initialised: srtp_init fails when called twice in a process. On failure nothing is left
// to free.
srtp_err_status_t cbench_new(struct cbench *b, int profile, int pkt_len);

// cbench_run protects then unprotects the packet n times, with a fresh sequence number each
// time. It returns the first failing status, or srtp_err_status_ok.
srtp_err_status_t cbench_run(struct cbench *b, long n);

// cbench_free frees what cbench_new allocated.
srtp_err_status_t cbench_free(struct cbench *b);

#endif
