#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/x509.h>

// Bounds of the output queue: far above one flight, low enough that a peer
// can never make an endpoint hold much memory.
#define OUT_MAX_BYTES (256 * 1024)
#define OUT_MAX_DATAGRAMS 64

// The longest retransmission interval, as RFC 6347 section 4.2.4.1 suggests.
#define MAX_TIMEOUT_US 60000000u

struct dtls_shim_endpoint {
    SSL *ssl;

    // The datagram being fed, owned by the caller for the duration of one call.
    const uint8_t *in;
    size_t in_len;

    // Datagrams written by OpenSSL, back to back; ends[i] is the end of the i-th.
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    size_t ends[OUT_MAX_DATAGRAMS];
    size_t out_count;

    // The digests the peer's certificate may match: fp_count of fp_len bytes.
    const EVP_MD *md;
    uint8_t *fps;
    size_t fp_count;
    unsigned int fp_len;
    int mismatch;

    unsigned int initial_timeout_us;

    char err[DTLS_SHIM_ERR_LEN];
};

static BIO_METHOD *datagram_method;
static int endpoint_index = -1;

// collect_errors drains the thread's error queue into err, or writes fallback
// when the queue is empty.
static void collect_errors(char *err, size_t errlen, const char *fallback) {
    if (err == NULL || errlen == 0) {
        ERR_clear_error();
        return;
    }
    size_t off = 0;
    err[0] = '\0';
    unsigned long code;
    while ((code = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(code, one, sizeof(one));
        int n = snprintf(err + off, errlen - off, "%s%s", off > 0 ? "; " : "", one);
        if (n < 0 || (size_t)n >= errlen - off) {
            ERR_clear_error();
            return;
        }
        off += (size_t)n;
    }
    if (off == 0) {
        snprintf(err, errlen, "%s", fallback);
    }
}

// --- datagram BIO: reads give the current datagram whole, each write is one datagram.

static int datagram_write(BIO *bio, const char *data, int len) {
    BIO_clear_retry_flags(bio);
    dtls_shim_endpoint *ep = BIO_get_data(bio);
    if (ep == NULL || data == NULL || len <= 0) {
        return -1;
    }
    size_t n = (size_t)len;
    if (ep->out_count >= OUT_MAX_DATAGRAMS || n > OUT_MAX_BYTES - ep->out_len) {
        return -1;
    }
    if (ep->out_len + n > ep->out_cap) {
        size_t cap = ep->out_cap == 0 ? 2048 : ep->out_cap;
        while (cap < ep->out_len + n) {
            cap *= 2;
        }
        if (cap > OUT_MAX_BYTES) {
            cap = OUT_MAX_BYTES;
        }
        uint8_t *grown = realloc(ep->out, cap);
        if (grown == NULL) {
            return -1;
        }
        ep->out = grown;
        ep->out_cap = cap;
    }
    memcpy(ep->out + ep->out_len, data, n);
    ep->out_len += n;
    ep->ends[ep->out_count++] = ep->out_len;
    return len;
}

static int datagram_read(BIO *bio, char *buf, int len) {
    BIO_clear_retry_flags(bio);
    dtls_shim_endpoint *ep = BIO_get_data(bio);
    if (ep == NULL || buf == NULL || len <= 0) {
        return -1;
    }
    if (ep->in == NULL) {
        BIO_set_retry_read(bio);
        return -1;
    }
    // Like a datagram socket: a short buffer truncates the datagram.
    size_t n = ep->in_len < (size_t)len ? ep->in_len : (size_t)len;
    memcpy(buf, ep->in, n);
    ep->in = NULL;
    ep->in_len = 0;
    return (int)n;
}

static long datagram_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)num;
    (void)ptr;
    dtls_shim_endpoint *ep = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return ep != NULL && ep->in != NULL ? (long)ep->in_len : 0;
    case BIO_CTRL_WPENDING:
        // Queued datagrams are complete: nothing is waiting to be packed with
        // the next record, so OpenSSL sizes its fragments for an empty datagram.
        return 0;
    default:
        // Path MTU queries, peer addresses and socket timers have no meaning
        // here: the MTU is set on the SSL object and timers are the caller's.
        return 0;
    }
}

static int datagram_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static int datagram_destroy(BIO *bio) {
    // The endpoint owns its buffers and frees them after SSL_free.
    BIO_set_data(bio, NULL);
    return 1;
}

// --- callbacks

// verify_peer replaces chain verification: WebRTC certificates are
// self-signed, and the peer is authenticated by the fingerprint of its leaf
// certificate that came through signaling.
static int verify_peer(X509_STORE_CTX *store, void *arg) {
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    dtls_shim_endpoint *ep = ssl != NULL ? SSL_get_ex_data(ssl, endpoint_index) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (ep == NULL || leaf == NULL || ep->md == NULL) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int match = 0;
    if (X509_digest(leaf, ep->md, digest, &n) == 1 && n == ep->fp_len) {
        for (size_t i = 0; i < ep->fp_count; i++) {
            match |= CRYPTO_memcmp(digest, ep->fps + i * n, n) == 0;
        }
    }
    if (!match) {
        ep->mismatch = 1;
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
}

// next_timeout starts retransmissions at the configured interval and doubles
// it up to MAX_TIMEOUT_US.
static unsigned int next_timeout(SSL *ssl, unsigned int previous_us) {
    dtls_shim_endpoint *ep = SSL_get_ex_data(ssl, endpoint_index);
    unsigned int initial = ep != NULL && ep->initial_timeout_us > 0 ? ep->initial_timeout_us : 1000000u;
    if (previous_us == 0) {
        return initial;
    }
    if (previous_us >= MAX_TIMEOUT_US / 2) {
        return MAX_TIMEOUT_US;
    }
    return previous_us * 2;
}

// --- process and context

int dtls_shim_init(char *err, size_t errlen) {
    ERR_clear_error();
    if (datagram_method == NULL) {
        int type = BIO_get_new_index();
        if (type == -1) {
            collect_errors(err, errlen, "BIO_get_new_index failed");
            return 0;
        }
        BIO_METHOD *m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK, "dtls datagram queue");
        if (m == NULL || BIO_meth_set_write(m, datagram_write) != 1 || BIO_meth_set_read(m, datagram_read) != 1 ||
            BIO_meth_set_ctrl(m, datagram_ctrl) != 1 || BIO_meth_set_create(m, datagram_create) != 1 ||
            BIO_meth_set_destroy(m, datagram_destroy) != 1) {
            collect_errors(err, errlen, "BIO_meth_new failed");
            BIO_meth_free(m);
            return 0;
        }
        datagram_method = m;
    }
    if (endpoint_index == -1) {
        endpoint_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        if (endpoint_index == -1) {
            collect_errors(err, errlen, "SSL_get_ex_new_index failed");
            return 0;
        }
    }
    return 1;
}

SSL_CTX *dtls_shim_ctx_new(const uint8_t *cert, size_t certlen, const uint8_t *key, size_t keylen,
                           const char *ciphers, const char *srtp_profiles, char *err, size_t errlen) {
    ERR_clear_error();
    if (cert == NULL || key == NULL || certlen == 0 || keylen == 0 || certlen > 65536 || keylen > 65536 ||
        ciphers == NULL || srtp_profiles == NULL) {
        snprintf(err, errlen, "bad arguments");
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (ctx == NULL) {
        collect_errors(err, errlen, "SSL_CTX_new failed");
        return NULL;
    }
    const char *failed = NULL;
    if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1) {
        failed = "SSL_CTX_set_min_proto_version failed";
    } else if (SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1) {
        failed = "SSL_CTX_set_max_proto_version failed";
    } else if (SSL_CTX_use_certificate_ASN1(ctx, (int)certlen, cert) != 1) {
        failed = "SSL_CTX_use_certificate_ASN1 failed";
    } else if (SSL_CTX_use_PrivateKey_ASN1(EVP_PKEY_EC, ctx, key, (long)keylen) != 1) {
        failed = "SSL_CTX_use_PrivateKey_ASN1 failed";
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        failed = "SSL_CTX_check_private_key failed";
    } else if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
        failed = "SSL_CTX_set_cipher_list failed";
    } else if (SSL_CTX_set_ciphersuites(ctx, "") != 1) {
        // TLS 1.3 suites never apply to DTLS 1.2; clearing them keeps the list honest.
        failed = "SSL_CTX_set_ciphersuites failed";
    } else if (SSL_CTX_set_tlsext_use_srtp(ctx, srtp_profiles) != 0) {
        // This one returns 0 on success.
        failed = "SSL_CTX_set_tlsext_use_srtp failed";
    }
    if (failed != NULL) {
        collect_errors(err, errlen, failed);
        SSL_CTX_free(ctx);
        return NULL;
    }
    // No renegotiation (a peer could use it to restart the handshake), no
    // session resumption (every WebRTC session is new), no path MTU probing
    // (the MTU is fixed per endpoint).
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, verify_peer, NULL);
    return ctx;
}

void dtls_shim_ctx_free(SSL_CTX *ctx) {
    SSL_CTX_free(ctx);
}

int dtls_shim_ctx_cipher_names(SSL_CTX *ctx, char *out, size_t outlen) {
    if (ctx == NULL || out == NULL || outlen == 0) {
        return 0;
    }
    out[0] = '\0';
    STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(ctx);
    size_t off = 0;
    for (int i = 0; i < sk_SSL_CIPHER_num(list); i++) {
        const char *name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i));
        int n = snprintf(out + off, outlen - off, "%s%s", off > 0 ? ":" : "", name != NULL ? name : "?");
        if (n < 0 || (size_t)n >= outlen - off) {
            return 0;
        }
        off += (size_t)n;
    }
    return 1;
}

// --- endpoint

static const EVP_MD *digest_for(int md) {
    switch (md) {
    case DTLS_SHIM_SHA1:
        return EVP_sha1();
    case DTLS_SHIM_SHA256:
        return EVP_sha256();
    case DTLS_SHIM_SHA384:
        return EVP_sha384();
    case DTLS_SHIM_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

dtls_shim_endpoint *dtls_shim_endpoint_new(SSL_CTX *ctx, int server, long mtu, unsigned int initial_timeout_us,
                                           int md, const uint8_t *fps, size_t count, char *err, size_t errlen) {
    ERR_clear_error();
    const EVP_MD *digest = digest_for(md);
    if (ctx == NULL || datagram_method == NULL || endpoint_index == -1 || digest == NULL || fps == NULL ||
        count == 0 || count > DTLS_SHIM_MAX_FINGERPRINTS) {
        snprintf(err, errlen, "bad arguments");
        return NULL;
    }
    dtls_shim_endpoint *ep = calloc(1, sizeof(*ep));
    size_t fp_len = (size_t)EVP_MD_get_size(digest);
    uint8_t *copy = malloc(count * fp_len);
    if (ep == NULL || copy == NULL) {
        free(ep);
        free(copy);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(copy, fps, count * fp_len);
    ep->md = digest;
    ep->fps = copy;
    ep->fp_count = count;
    ep->fp_len = (unsigned int)fp_len;
    ep->initial_timeout_us = initial_timeout_us;

    ep->ssl = SSL_new(ctx);
    if (ep->ssl == NULL) {
        collect_errors(err, errlen, "SSL_new failed");
        free(ep);
        return NULL;
    }
    BIO *bio = BIO_new(datagram_method);
    if (bio == NULL) {
        collect_errors(err, errlen, "BIO_new failed");
        dtls_shim_endpoint_free(ep);
        return NULL;
    }
    BIO_set_data(bio, ep);
    // The SSL takes the one reference to bio, used for both directions.
    SSL_set_bio(ep->ssl, bio, bio);
    if (SSL_set_ex_data(ep->ssl, endpoint_index, ep) != 1) {
        collect_errors(err, errlen, "SSL_set_ex_data failed");
        dtls_shim_endpoint_free(ep);
        return NULL;
    }
    if (SSL_set_mtu(ep->ssl, mtu) <= 0) {
        collect_errors(err, errlen, "SSL_set_mtu failed");
        dtls_shim_endpoint_free(ep);
        return NULL;
    }
    DTLS_set_timer_cb(ep->ssl, next_timeout);
    if (server) {
        SSL_set_accept_state(ep->ssl);
    } else {
        SSL_set_connect_state(ep->ssl);
    }
    return ep;
}

void dtls_shim_endpoint_free(dtls_shim_endpoint *ep) {
    if (ep == NULL) {
        return;
    }
    SSL_free(ep->ssl);
    free(ep->fps);
    free(ep->out);
    free(ep);
}

const char *dtls_shim_endpoint_err(const dtls_shim_endpoint *ep) {
    return ep != NULL ? ep->err : "";
}

// outcome turns the result of an SSL call into a shim result, collecting the
// error queue for fatal errors.
static int outcome(dtls_shim_endpoint *ep, int ret, const char *call) {
    int code = SSL_get_error(ep->ssl, ret);
    switch (code) {
    case SSL_ERROR_WANT_READ:
        ERR_clear_error();
        return DTLS_SHIM_WANT_READ;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return DTLS_SHIM_PEER_CLOSED;
    default:
        collect_errors(ep->err, sizeof(ep->err), call);
        return ep->mismatch ? DTLS_SHIM_MISMATCH : DTLS_SHIM_ERROR;
    }
}

int dtls_shim_handshake(dtls_shim_endpoint *ep, const uint8_t *in, size_t inlen) {
    if (ep == NULL) {
        return DTLS_SHIM_ERROR;
    }
    ERR_clear_error();
    ep->in = in;
    ep->in_len = inlen;
    int ret = SSL_do_handshake(ep->ssl);
    ep->in = NULL;
    ep->in_len = 0;
    if (ret == 1) {
        return DTLS_SHIM_DONE;
    }
    return outcome(ep, ret, "SSL_do_handshake failed");
}

int dtls_shim_read(dtls_shim_endpoint *ep, const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
                   size_t *outlen) {
    if (ep == NULL || out == NULL || outlen == NULL || outcap == 0 || outcap > INT32_MAX) {
        return DTLS_SHIM_ERROR;
    }
    *outlen = 0;
    ERR_clear_error();
    ep->in = in;
    ep->in_len = inlen;
    int ret = SSL_read(ep->ssl, out, (int)outcap);
    ep->in = NULL;
    ep->in_len = 0;
    if (ret > 0) {
        *outlen = (size_t)ret;
        return DTLS_SHIM_DATA;
    }
    return outcome(ep, ret, "SSL_read failed");
}

int dtls_shim_has_pending(dtls_shim_endpoint *ep) {
    return ep != NULL && SSL_has_pending(ep->ssl) ? 1 : 0;
}

int dtls_shim_write(dtls_shim_endpoint *ep, const uint8_t *data, size_t len) {
    if (ep == NULL || data == NULL || len == 0 || len > INT32_MAX) {
        return 0;
    }
    ERR_clear_error();
    int ret = SSL_write(ep->ssl, data, (int)len);
    if (ret > 0 && (size_t)ret == len) {
        return 1;
    }
    collect_errors(ep->err, sizeof(ep->err), "SSL_write failed");
    return 0;
}

int dtls_shim_shutdown(dtls_shim_endpoint *ep) {
    if (ep == NULL) {
        return 0;
    }
    ERR_clear_error();
    // 0 means close_notify is sent and the peer's is not in yet: done for us.
    if (SSL_shutdown(ep->ssl) >= 0) {
        return 1;
    }
    collect_errors(ep->err, sizeof(ep->err), "SSL_shutdown failed");
    return 0;
}

int dtls_shim_get_timeout(dtls_shim_endpoint *ep, int64_t *usec) {
    if (ep == NULL || usec == NULL) {
        return 0;
    }
    struct timeval left = {0, 0};
    if (DTLSv1_get_timeout(ep->ssl, &left) != 1) {
        return 0;
    }
    *usec = (int64_t)left.tv_sec * 1000000 + (int64_t)left.tv_usec;
    return 1;
}

int dtls_shim_handle_timeout(dtls_shim_endpoint *ep) {
    if (ep == NULL) {
        return -1;
    }
    ERR_clear_error();
    int ret = (int)DTLSv1_handle_timeout(ep->ssl);
    if (ret >= 0) {
        ERR_clear_error();
        return ret > 0 ? 1 : 0;
    }
    collect_errors(ep->err, sizeof(ep->err), "DTLSv1_handle_timeout failed");
    return -1;
}

unsigned long dtls_shim_srtp_profile(dtls_shim_endpoint *ep) {
    if (ep == NULL) {
        return 0;
    }
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(ep->ssl);
    return p != NULL ? p->id : 0;
}

int dtls_shim_export_srtp(dtls_shim_endpoint *ep, uint8_t *out, size_t len) {
    static const char label[] = "EXTRACTOR-dtls_srtp";
    if (ep == NULL || out == NULL || len == 0) {
        return 0;
    }
    ERR_clear_error();
    if (SSL_export_keying_material(ep->ssl, out, len, label, sizeof(label) - 1, NULL, 0, 0) == 1) {
        return 1;
    }
    collect_errors(ep->err, sizeof(ep->err), "SSL_export_keying_material failed");
    return 0;
}

int dtls_shim_min_ciphertext(dtls_shim_endpoint *ep) {
    const SSL_CIPHER *c = ep != NULL ? SSL_get_current_cipher(ep->ssl) : NULL;
    if (c == NULL) {
        return -1;
    }
    switch (SSL_CIPHER_get_cipher_nid(c)) {
    case NID_aes_128_gcm:
    case NID_aes_256_gcm:
        return EVP_GCM_TLS_EXPLICIT_IV_LEN + EVP_GCM_TLS_TAG_LEN;
    case NID_chacha20_poly1305:
        return EVP_CHACHAPOLY_TLS_TAG_LEN;
    default:
        return -1;
    }
}

size_t dtls_shim_data_mtu(dtls_shim_endpoint *ep) {
    return ep != NULL ? DTLS_get_data_mtu(ep->ssl) : 0;
}

void dtls_shim_output_size(const dtls_shim_endpoint *ep, size_t *len, size_t *count) {
    *len = ep != NULL ? ep->out_len : 0;
    *count = ep != NULL ? ep->out_count : 0;
}

int dtls_shim_output_take(dtls_shim_endpoint *ep, uint8_t *data, size_t datalen, size_t *ends, size_t count) {
    if (ep == NULL || data == NULL || ends == NULL || datalen < ep->out_len || count < ep->out_count) {
        return 0;
    }
    memcpy(data, ep->out, ep->out_len);
    memcpy(ends, ep->ends, ep->out_count * sizeof(size_t));
    ep->out_len = 0;
    ep->out_count = 0;
    return 1;
}

