// C side of package dtls: every OpenSSL call lives here, behind functions that
// clear the thread's error queue first and copy its messages into err before
// returning. Go may move a goroutine to another thread between two cgo calls,
// so an error queue must never outlive the C call that filled it.
#ifndef DTLS_SHIM_H
#define DTLS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

// Size of the error message buffers given to the shim.
#define DTLS_SHIM_ERR_LEN 512

// The most digests an endpoint takes for the peer's certificate.
#define DTLS_SHIM_MAX_FINGERPRINTS 8

// Digest codes for the expected peer fingerprint.
#define DTLS_SHIM_SHA1 1
#define DTLS_SHIM_SHA256 256
#define DTLS_SHIM_SHA384 384
#define DTLS_SHIM_SHA512 512

// Results of dtls_shim_handshake and dtls_shim_read.
#define DTLS_SHIM_WANT_READ 0    // nothing more until the next datagram or timer
#define DTLS_SHIM_DONE 1         // handshake complete
#define DTLS_SHIM_DATA 2         // application data in out
#define DTLS_SHIM_PEER_CLOSED 3  // the peer sent close_notify
#define DTLS_SHIM_ERROR (-1)     // fatal: message in err
#define DTLS_SHIM_MISMATCH (-2)  // fatal: peer certificate does not match the fingerprint

typedef struct dtls_shim_endpoint dtls_shim_endpoint;

// dtls_shim_init registers the datagram BIO method and the SSL ex_data index.
// Call it once per process before anything else. Returns 1 on success.
int dtls_shim_init(char *err, size_t errlen);

// dtls_shim_ctx_new builds a DTLS 1.2 context with the DER certificate and
// PKCS#8 key, the cipher list and the colon-separated SRTP profiles.
// Returns NULL on failure.
SSL_CTX *dtls_shim_ctx_new(const uint8_t *cert, size_t certlen, const uint8_t *key, size_t keylen,
                           const char *ciphers, const char *srtp_profiles, char *err, size_t errlen);
void dtls_shim_ctx_free(SSL_CTX *ctx);

// dtls_shim_ctx_cipher_names writes the context's enabled ciphers, colon
// separated, into out. Returns 1 on success, 0 when out is too small.
int dtls_shim_ctx_cipher_names(SSL_CTX *ctx, char *out, size_t outlen);

// dtls_shim_endpoint_new creates one DTLS endpoint over the datagram BIO.
// fps holds count digests under the digest code md, back to back: the
// peer's certificate must match one of them.
dtls_shim_endpoint *dtls_shim_endpoint_new(SSL_CTX *ctx, int server, long mtu, unsigned int initial_timeout_us,
                                           int md, const uint8_t *fps, size_t count, char *err, size_t errlen);
void dtls_shim_endpoint_free(dtls_shim_endpoint *ep);

// err holds the message of the endpoint's last DTLS_SHIM_ERROR or DTLS_SHIM_MISMATCH.
const char *dtls_shim_endpoint_err(const dtls_shim_endpoint *ep);

// dtls_shim_handshake feeds one datagram (in may be NULL) and advances the
// handshake. in is only read during the call.
int dtls_shim_handshake(dtls_shim_endpoint *ep, const uint8_t *in, size_t inlen);

// dtls_shim_read feeds one datagram (in may be NULL) and reads at most one
// record of application data into out, its length in *outlen.
int dtls_shim_read(dtls_shim_endpoint *ep, const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
                   size_t *outlen);

// dtls_shim_has_pending returns 1 when OpenSSL holds received records not yet
// read, 0 otherwise.
int dtls_shim_has_pending(dtls_shim_endpoint *ep);

// dtls_shim_write sends one record of application data. Returns 1 on success.
int dtls_shim_write(dtls_shim_endpoint *ep, const uint8_t *data, size_t len);

// dtls_shim_shutdown queues close_notify. Returns 1 on success.
int dtls_shim_shutdown(dtls_shim_endpoint *ep);

// dtls_shim_get_timeout stores the time left on the retransmission timer in
// *usec and returns 1, or returns 0 when no timer runs.
int dtls_shim_get_timeout(dtls_shim_endpoint *ep, int64_t *usec);

// dtls_shim_handle_timeout retransmits when the timer has expired. Returns 1
// when it retransmitted, 0 when nothing was due, -1 on a fatal error.
int dtls_shim_handle_timeout(dtls_shim_endpoint *ep);

// dtls_shim_srtp_profile returns the negotiated SRTP profile id, 0 if none.
unsigned long dtls_shim_srtp_profile(dtls_shim_endpoint *ep);

// dtls_shim_export_srtp exports len bytes of "EXTRACTOR-dtls_srtp" keying
// material into out. Returns 1 on success.
int dtls_shim_export_srtp(dtls_shim_endpoint *ep, uint8_t *out, size_t len);

// dtls_shim_min_ciphertext returns the shortest record body the negotiated
// cipher can authenticate (its explicit nonce and tag), or -1 when no cipher
// is negotiated or the cipher is not an AEAD suite listed here.
int dtls_shim_min_ciphertext(dtls_shim_endpoint *ep);

// dtls_shim_data_mtu returns the largest application data record that fits
// one datagram.
size_t dtls_shim_data_mtu(dtls_shim_endpoint *ep);

// Datagrams written by OpenSSL wait in the endpoint until the caller takes
// them: dtls_shim_output_size tells their total length and count,
// dtls_shim_output_take copies them into data (each one ending at ends[i])
// and empties the queue. It returns 0 when the buffers are too small.
void dtls_shim_output_size(const dtls_shim_endpoint *ep, size_t *len, size_t *count);
int dtls_shim_output_take(dtls_shim_endpoint *ep, uint8_t *data, size_t datalen, size_t *ends, size_t count);


#endif
