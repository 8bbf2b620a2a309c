package dtls

// #cgo pkg-config: libssl libcrypto
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Defaults of Config.
const (
	// DefaultMTU is the largest datagram an Endpoint sends: WebRTC's usual 1200 bytes of UDP payload fits any path.
	DefaultMTU = 1200
	// DefaultHandshakeTimeout bounds a handshake from Start to completion.
	DefaultHandshakeTimeout = 30 * time.Second
	// DefaultRetransmitTimeout is the first retransmission interval; it doubles up to 60 s (RFC 6347 4.2.4.1).
	DefaultRetransmitTimeout = time.Second
)

// Bounds of Config.MTU: OpenSSL's DTLS minimum and the largest UDP payload.
const (
	minMTU = 256
	maxMTU = MaxDatagramSize
)

// cipherList holds only ECDHE suites with an AEAD cipher: no NULL, anonymous, static-RSA or PSK suite, and no
// AES-CBC. Under CBC, OpenSSL 3.0 fails a DTLS association on any record with a bad MAC when encrypt-then-MAC is
// negotiated (a spoofed datagram would end the session), and MAC-then-encrypt invites padding oracles; every
// WebRTC stack offers AES-GCM (RFC 8827 6.5). RSA suites stay for peers (as DTLS servers) whose certificate is
// RSA. Endpoint.complete refuses a cipher dtls_shim_min_ciphertext does not know.
const cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" +
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" +
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

// initShim registers the C side's process-wide objects once.
var initShim = sync.OnceValue(func() error {
	var errBuf [C.DTLS_SHIM_ERR_LEN]C.char
	if C.dtls_shim_init(&errBuf[0], C.size_t(len(errBuf))) != 1 {
		return &OpenSSLError{Op: "init", Message: C.GoString(&errBuf[0])}
	}
	return nil
})

// Config configures a Context. Only Certificate is required.
type Config struct {
	// Certificate is the process's DTLS certificate (NewCertificate).
	Certificate *Certificate
	// SRTPProfiles are offered or accepted, preferred first; empty means DefaultSRTPProfiles.
	SRTPProfiles []SRTPProfile
	// MTU is the largest datagram sent, in bytes; 0 means DefaultMTU.
	MTU int
	// HandshakeTimeout bounds each handshake; 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// RetransmitTimeout is the first retransmission interval; 0 means DefaultRetransmitTimeout.
	RetransmitTimeout time.Duration
	// Logger receives leak reports and handshake completions; nil means slog.Default().
	Logger *slog.Logger

	// ciphers replaces cipherList when set: tests use it to negotiate each suite in turn.
	ciphers string
}

// Context is the OpenSSL context (SSL_CTX) shared by the Endpoints of a process: certificate, ciphers, SRTP
// profiles. It is safe for concurrent use. Endpoints keep working after Context.Close.
type Context struct {
	mu          sync.RWMutex
	ctx         *C.SSL_CTX
	cleanup     runtime.Cleanup
	fingerprint Fingerprint
	mtu         int
	handshake   time.Duration
	retransmit  time.Duration
	logger      *slog.Logger
}

// NewContext returns a Context with the defaults of Config and the given certificate.
func NewContext(cert *Certificate) (*Context, error) {
	return NewContextWith(Config{Certificate: cert})
}

// NewContextWith returns a Context built from cfg.
func NewContextWith(cfg Config) (*Context, error) {
	if err := initShim(); err != nil {
		return nil, err
	}
	if err := cfg.applyDefaults(); err != nil {
		return nil, err
	}
	profiles, err := opensslProfileList(cfg.SRTPProfiles)
	if err != nil {
		return nil, err
	}
	cProfiles := C.CString(profiles)
	defer C.free(unsafe.Pointer(cProfiles))
	cCiphers := C.CString(cfg.ciphers)
	defer C.free(unsafe.Pointer(cCiphers))

	cert := cfg.Certificate
	var errBuf [C.DTLS_SHIM_ERR_LEN]C.char
	sslCtx := C.dtls_shim_ctx_new(
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(cert.der))), C.size_t(len(cert.der)),
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(cert.keyPKCS8))), C.size_t(len(cert.keyPKCS8)),
		cCiphers, cProfiles, &errBuf[0], C.size_t(len(errBuf)))
	if sslCtx == nil {
		return nil, &OpenSSLError{Op: "new context", Message: C.GoString(&errBuf[0])}
	}
	c := &Context{
		ctx:         sslCtx,
		fingerprint: cert.Fingerprint(),
		mtu:         cfg.MTU,
		handshake:   cfg.HandshakeTimeout,
		retransmit:  cfg.RetransmitTimeout,
		logger:      cfg.Logger,
	}
	c.cleanup = runtime.AddCleanup(c, func(l leakedContext) {
		l.logger.Error("dtls: Context garbage-collected without Close; freeing it")
		C.dtls_shim_ctx_free(l.ctx)
	}, leakedContext{ctx: sslCtx, logger: cfg.Logger})
	return c, nil
}

type leakedContext struct {
	ctx    *C.SSL_CTX
	logger *slog.Logger
}

func (cfg *Config) applyDefaults() error {
	if cfg.Certificate == nil || len(cfg.Certificate.der) == 0 || len(cfg.Certificate.keyPKCS8) == 0 {
		return fmt.Errorf("%w: no certificate", ErrBadConfig)
	}
	if len(cfg.SRTPProfiles) == 0 {
		cfg.SRTPProfiles = DefaultSRTPProfiles()
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.MTU < minMTU || cfg.MTU > maxMTU {
		return fmt.Errorf("%w: MTU %d outside [%d, %d]", ErrBadConfig, cfg.MTU, minMTU, maxMTU)
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.RetransmitTimeout == 0 {
		cfg.RetransmitTimeout = DefaultRetransmitTimeout
	}
	if cfg.HandshakeTimeout < 0 || cfg.RetransmitTimeout < time.Millisecond || cfg.RetransmitTimeout > time.Minute {
		return fmt.Errorf("%w: handshake timeout %v or retransmit timeout %v out of range",
			ErrBadConfig, cfg.HandshakeTimeout, cfg.RetransmitTimeout)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ciphers == "" {
		cfg.ciphers = cipherList
	}
	return nil
}

// Fingerprint returns the SHA-256 fingerprint of the Context's certificate, for SDP.
func (c *Context) Fingerprint() Fingerprint {
	return Fingerprint{Hash: c.fingerprint.Hash, Digest: append([]byte(nil), c.fingerprint.Digest...)}
}

// Close releases the OpenSSL context. Endpoints made from it hold their own reference and stay usable; no new
// Endpoint can be made. Close is idempotent.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil
	}
	c.cleanup.Stop()
	C.dtls_shim_ctx_free(c.ctx)
	c.ctx = nil
	return nil
}

// cipherNames lists the enabled cipher suites, as OpenSSL resolved cipherList.
func (c *Context) cipherNames() ([]string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ctx == nil {
		return nil, ErrClosed
	}
	var buf [4096]C.char
	if C.dtls_shim_ctx_cipher_names(c.ctx, &buf[0], C.size_t(len(buf))) != 1 {
		return nil, fmt.Errorf("dtls: cipher list longer than %d bytes", len(buf))
	}
	return strings.Split(C.GoString(&buf[0]), ":"), nil
}
