package dtls

// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// MaxDatagramSize is the largest datagram HandleDatagram takes: the largest UDP payload over IPv4.
const MaxDatagramSize = 65507

// maxRecordSize is the largest plaintext of one DTLS record.
const maxRecordSize = 16384

// Role is the DTLS role of an Endpoint: in WebRTC the SDP's a=setup decides it (active is the client).
type Role int

// The two roles. The zero Role is invalid, so that a forgotten role is an error, not a silent client.
const (
	RoleClient Role = iota + 1
	RoleServer
)

func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RoleServer:
		return "server"
	default:
		return fmt.Sprintf("Role(%d)", int(r))
	}
}

// State is where an Endpoint is in its life.
type State int

// The states of an Endpoint.
const (
	// StateNew is before Start or the first datagram.
	StateNew State = iota
	// StateHandshaking is during the handshake.
	StateHandshaking
	// StateConnected is after a successful handshake: SRTPKeys are ready.
	StateConnected
	// StatePeerClosed is after the peer's close_notify.
	StatePeerClosed
	// StateFailed is after a fatal error; every call returns that error.
	StateFailed
	// StateClosed is after Close.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateHandshaking:
		return "handshaking"
	case StateConnected:
		return "connected"
	case StatePeerClosed:
		return "peer-closed"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	default:
		return fmt.Sprintf("State(%d)", int(s))
	}
}

// MaxRemoteFingerprints bounds EndpointParams.RemoteFingerprints: a few certificates, each under a few hashes.
const MaxRemoteFingerprints = C.DTLS_SHIM_MAX_FINGERPRINTS

// EndpointParams are the per-session parameters of an Endpoint.
type EndpointParams struct {
	// Role is RoleServer when the peer's SDP says a=setup:active, RoleClient when it says passive.
	Role Role
	// RemoteFingerprints are the peer's a=fingerprint values (1 to MaxRemoteFingerprints), each well formed: the
	// caller leaves out those whose hash this package does not support (ParseFingerprint refuses them). As RFC
	// 8122 section 5 says, the peer's certificate must match one of those that use the most preferred hash among
	// them, the strongest: SHA-512, then SHA-384, SHA-256, SHA-1.
	RemoteFingerprints []Fingerprint
	// Logger carries the session's fields (socketId, session, ...); nil means the Context's logger.
	Logger *slog.Logger
}

// Result is what one incoming datagram produced.
type Result struct {
	// Send holds the datagrams to send to the peer, in order, each at most the MTU.
	Send [][]byte
	// Data holds the application data records received.
	Data [][]byte
	// HandshakeComplete is true on the call that completed the handshake: SRTPKeys is ready.
	HandshakeComplete bool
	// Dropped counts the records of the datagram the Endpoint dropped, once connected, before OpenSSL saw them:
	// they could not authenticate (forged, truncated, another version). OpenSSL drops others silently itself
	// (a wrong tag, a replay), which nothing reports.
	Dropped int
}

// Endpoint is one DTLS association (one WebRTC session) over datagrams the caller moves. See the package
// documentation for the calling sequence and thread safety.
type Endpoint struct {
	mu       sync.Mutex
	c        *C.dtls_shim_endpoint
	cleanup  runtime.Cleanup
	role     Role
	logger   *slog.Logger
	timeout  time.Duration
	deadline time.Time
	state    State
	err      error
	keys     SRTPKeys
	// minCiphertext is the shortest record body the negotiated cipher can authenticate; set once connected.
	minCiphertext int
	// lastPlain is the header of the last plaintext record sent (sentPlain), until the first encrypted one
	// (encrypting): the alert of an abandoned handshake follows it.
	lastPlain  recordHeader
	sentPlain  bool
	encrypting bool
}

// NewEndpointWith creates an Endpoint. It is in StateNew until Start or the first datagram.
func (c *Context) NewEndpointWith(p EndpointParams) (*Endpoint, error) {
	if p.Role != RoleClient && p.Role != RoleServer {
		return nil, fmt.Errorf("%w: role %s", ErrBadConfig, p.Role)
	}
	hash, digests, err := expectedDigests(p.RemoteFingerprints)
	if err != nil {
		return nil, err
	}
	md, err := shimDigest(hash)
	if err != nil {
		return nil, err
	}
	logger := p.Logger
	if logger == nil {
		logger = c.logger
	}
	server := C.int(0)
	if p.Role == RoleServer {
		server = 1
	}

	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ctx == nil {
		return nil, ErrClosed
	}
	var errBuf [C.DTLS_SHIM_ERR_LEN]C.char
	ep := C.dtls_shim_endpoint_new(c.ctx, server, C.long(c.mtu), C.uint(c.retransmit/time.Microsecond), md,
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(digests))), C.size_t(len(digests)/hash.Size()),
		&errBuf[0], C.size_t(len(errBuf)))
	if ep == nil {
		return nil, &OpenSSLError{Op: "new endpoint", Message: C.GoString(&errBuf[0])}
	}
	e := &Endpoint{c: ep, role: p.Role, logger: logger, timeout: c.handshake, state: StateNew}
	e.cleanup = runtime.AddCleanup(e, func(l leakedEndpoint) {
		l.logger.Error("dtls: Endpoint garbage-collected without Close; freeing it", "role", l.role.String())
		C.dtls_shim_endpoint_free(l.c)
	}, leakedEndpoint{c: ep, logger: logger, role: p.Role})
	return e, nil
}

type leakedEndpoint struct {
	c      *C.dtls_shim_endpoint
	logger *slog.Logger
	role   Role
}

func shimDigest(h Hash) (C.int, error) {
	switch h {
	case SHA1:
		return C.DTLS_SHIM_SHA1, nil
	case SHA256:
		return C.DTLS_SHIM_SHA256, nil
	case SHA384:
		return C.DTLS_SHIM_SHA384, nil
	case SHA512:
		return C.DTLS_SHIM_SHA512, nil
	default:
		return 0, fmt.Errorf("%w: unsupported hash %s", ErrBadFingerprint, h)
	}
}

// State returns the Endpoint's state.
func (e *Endpoint) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// Start begins the handshake and arms its timeout. A client returns its first flight (the ClientHello); a
// server returns nothing and waits for one. Start on a started Endpoint does nothing.
func (e *Endpoint) Start() ([][]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state != StateNew {
		return nil, e.unusable()
	}
	e.start()
	return e.finish(e.handshake(nil, &Result{}))
}

// HandleDatagram feeds one datagram received from the peer. Result.Send is valid even with an error: it may carry
// the alert that tells the peer why. A datagram that is empty or larger than MaxDatagramSize is dropped with
// ErrDatagramSize and the Endpoint goes on. Invalid records (malformed, forged, replayed) are dropped silently,
// as DTLS requires (RFC 6347 4.1.2.7): once connected, only a record that authenticates as the peer's, such as
// its close_notify (ErrPeerClosed) or a fatal alert, ends the association, and nothing is sent in answer to one
// that does not. After a fatal error or ErrPeerClosed, the Endpoint only waits for Close.
func (e *Endpoint) HandleDatagram(datagram []byte) (Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.unusable(); err != nil {
		return Result{}, err
	}
	if len(datagram) == 0 || len(datagram) > MaxDatagramSize {
		return Result{}, fmt.Errorf("%w: %d bytes", ErrDatagramSize, len(datagram))
	}
	if e.state == StateNew {
		e.start()
	}
	var res Result
	var err error
	switch e.state {
	case StateConnected:
		var records []byte
		records, res.Dropped = authenticable(datagram, e.minCiphertext)
		if len(records) > 0 {
			err = e.readRecords(records, &res)
		}
	case StateHandshaking:
		err = e.handshake(datagram, &res)
		// Records behind the last handshake message, in the same datagram, wait in OpenSSL.
		if err == nil && e.state == StateConnected && C.dtls_shim_has_pending(e.c) == 1 {
			err = e.readRecords(nil, &res)
		}
	}
	res.Send, err = e.finish(err)
	return res, err
}

// NextTimeout returns when HandleTimeout must be called next: the retransmission timer or, during the handshake,
// its deadline, whichever comes first. ok is false when no timer runs.
func (e *Endpoint) NextTimeout() (at time.Time, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state != StateHandshaking && e.state != StateConnected {
		return time.Time{}, false
	}
	var usec C.int64_t
	if C.dtls_shim_get_timeout(e.c, &usec) == 1 {
		at, ok = time.Now().Add(time.Duration(usec)*time.Microsecond), true
	}
	if e.state == StateHandshaking && (!ok || e.deadline.Before(at)) {
		at, ok = e.deadline, true
	}
	return at, ok
}

// HandleTimeout retransmits the last flight when its timer has expired, and fails the handshake with
// ErrHandshakeTimeout past its deadline. Calling it early does nothing: it returns no datagram.
func (e *Endpoint) HandleTimeout() ([][]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == StateNew {
		return nil, nil
	}
	if err := e.unusable(); err != nil {
		return nil, err
	}
	if e.state == StateHandshaking && !time.Now().Before(e.deadline) {
		return e.finish(ErrHandshakeTimeout)
	}
	if C.dtls_shim_handle_timeout(e.c) < 0 {
		return e.finish(e.opensslError("retransmit"))
	}
	return e.finish(nil)
}

// SRTPKeys returns a copy of the negotiated SRTP profile and keys, split for this Endpoint's role.
func (e *Endpoint) SRTPKeys() (SRTPKeys, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch e.state {
	case StateConnected, StatePeerClosed:
		return e.keys.clone(), nil
	case StateNew, StateHandshaking:
		return SRTPKeys{}, ErrNotConnected
	default:
		return SRTPKeys{}, e.unusable()
	}
}

// Write sends data as one application data record, returning its datagram. Data must fit one datagram and one
// record (16384 bytes); a longer one is refused with an error and the Endpoint goes on.
func (e *Endpoint) Write(data []byte) ([][]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.unusable(); err != nil {
		return nil, err
	}
	if e.state != StateConnected {
		return nil, ErrNotConnected
	}
	if limit := min(int(C.dtls_shim_data_mtu(e.c)), maxRecordSize); len(data) == 0 || len(data) > limit {
		return nil, fmt.Errorf("dtls: write of %d bytes, want 1 to %d", len(data), limit)
	}
	if C.dtls_shim_write(e.c, (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(data))), C.size_t(len(data))) != 1 {
		return e.finish(e.opensslError("write"))
	}
	return e.finish(nil)
}

// Close sends close_notify when the handshake had completed, returning its datagram, and frees all C memory.
// During the handshake it returns a user_canceled alert when it can (see cancelAlert), so that the peer stops at
// once instead of timing out. Close is idempotent; later calls return nothing.
func (e *Endpoint) Close() ([][]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil, nil
	}
	var send [][]byte
	var err error
	if e.state == StateConnected || e.state == StatePeerClosed {
		if C.dtls_shim_shutdown(e.c) != 1 {
			err = e.opensslError("close")
		}
		var takeErr error
		if send, takeErr = e.takeOutput(); takeErr != nil {
			err = errors.Join(err, takeErr)
		}
	}
	if e.state == StateHandshaking {
		send = e.cancelAlert()
	}
	e.cleanup.Stop()
	C.dtls_shim_endpoint_free(e.c)
	e.c = nil
	e.keys.Wipe()
	e.keys = SRTPKeys{}
	e.state = StateClosed
	return send, err
}

// start arms the handshake deadline.
func (e *Endpoint) start() {
	e.state = StateHandshaking
	e.deadline = time.Now().Add(e.timeout)
}

// unusable returns the error that stops calls in the current state, nil when calls may proceed.
func (e *Endpoint) unusable() error {
	switch e.state {
	case StateClosed:
		return ErrClosed
	case StateFailed:
		return e.err
	case StatePeerClosed:
		return ErrPeerClosed
	default:
		return nil
	}
}

// handshake advances the handshake with one datagram (or none).
func (e *Endpoint) handshake(datagram []byte, res *Result) error {
	if !time.Now().Before(e.deadline) {
		return ErrHandshakeTimeout
	}
	switch st := C.dtls_shim_handshake(e.c, (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(datagram))),
		C.size_t(len(datagram))); st {
	case C.DTLS_SHIM_WANT_READ:
		return nil
	case C.DTLS_SHIM_DONE:
		if err := e.complete(); err != nil {
			return err
		}
		res.HandshakeComplete = true
		return nil
	case C.DTLS_SHIM_PEER_CLOSED:
		// The peer gave up before the handshake completed: a failure, not the end of a session.
		return fmt.Errorf("%w during the handshake", ErrPeerClosed)
	default:
		return e.shimError("handshake", st)
	}
}

// complete checks the negotiated SRTP profile and exports its keys.
func (e *Endpoint) complete() error {
	profile := SRTPProfile(C.dtls_shim_srtp_profile(e.c))
	if profile == 0 {
		return ErrNoSRTPProfile
	}
	if !profile.known() {
		return fmt.Errorf("%w: peer chose %s, which was not offered", ErrNoSRTPProfile, profile)
	}
	e.minCiphertext = int(C.dtls_shim_min_ciphertext(e.c))
	if e.minCiphertext <= 0 {
		return errors.New("dtls: the negotiated cipher is not an AEAD suite this package knows")
	}
	material := make([]byte, 2*(profile.KeyLen()+profile.SaltLen()))
	if C.dtls_shim_export_srtp(e.c, (*C.uint8_t)(unsafe.Pointer(&material[0])), C.size_t(len(material))) != 1 {
		return e.opensslError("export keying material")
	}
	keys, err := splitSRTPKeys(profile, e.role, material)
	if err != nil {
		return err
	}
	e.keys = keys
	e.state = StateConnected
	e.logger.Debug("dtls handshake complete", "role", e.role.String(), "srtpProfile", profile.String())
	return nil
}

// readRecords reads the application data records of one datagram (or of what OpenSSL still buffers).
func (e *Endpoint) readRecords(datagram []byte, res *Result) error {
	buf := make([]byte, maxRecordSize)
	for {
		var n C.size_t
		st := C.dtls_shim_read(e.c, (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(datagram))), C.size_t(len(datagram)),
			(*C.uint8_t)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &n)
		datagram = nil
		switch st {
		case C.DTLS_SHIM_DATA:
			if int(n) > len(buf) {
				return fmt.Errorf("dtls: read returned %d bytes into %d", n, len(buf))
			}
			res.Data = append(res.Data, append([]byte(nil), buf[:n]...))
		case C.DTLS_SHIM_WANT_READ:
			return nil
		case C.DTLS_SHIM_PEER_CLOSED:
			e.state = StatePeerClosed
			return ErrPeerClosed
		default:
			return e.shimError("read", st)
		}
	}
}

// finish collects the datagrams to send and records a fatal error.
func (e *Endpoint) finish(err error) ([][]byte, error) {
	send, takeErr := e.takeOutput()
	if takeErr != nil {
		err = errors.Join(err, takeErr)
	}
	if !e.encrypting {
		e.notePlain(send)
	}
	if errors.Is(err, ErrHandshakeTimeout) {
		// OpenSSL knows nothing of the deadline: the peer would wait for its own.
		send = append(send, e.cancelAlert()...)
	}
	if err != nil && e.state != StatePeerClosed {
		e.state = StateFailed
		e.err = err
		e.keys.Wipe()
		e.keys = SRTPKeys{}
	}
	return send, err
}

// notePlain follows the records sent until the first encrypted one, for cancelAlert.
func (e *Endpoint) notePlain(datagrams [][]byte) {
	for _, d := range datagrams {
		for h, ok := parseRecordHeader(d); ok; h, ok = parseRecordHeader(d) {
			if h.epoch != 0 {
				e.encrypting = true
				return
			}
			if !e.sentPlain || h.seq > e.lastPlain.seq {
				e.lastPlain, e.sentPlain = h, true
			}
			d = d[recordHeaderLen+h.length:]
		}
	}
}

// cancelAlert returns the datagram that abandons a handshake: a user_canceled alert (RFC 5246 7.2.2), in a
// plaintext record of epoch 0 numbered after the last one sent, which the peer reads until it gets this side's
// ChangeCipherSpec. The alert is fatal: OpenSSL 3.0 answers a warning user_canceled during a DTLS handshake with
// "too many warn alerts" and an unexpected_message alert. It returns nothing when nothing was sent (no peer to
// tell), or once this side encrypts (a client after its ChangeCipherSpec, until the server's Finished): the alert
// would have to be encrypted then, and OpenSSL 3.0 has no call that sends an alert during a handshake
// (SSL_shutdown refuses: "shutdown while in init"), so the peer times out.
func (e *Endpoint) cancelAlert() [][]byte {
	if !e.sentPlain || e.encrypting || e.lastPlain.seq == maxSequence {
		return nil
	}
	h := recordHeader{contentType: contentTypeAlert, version: e.lastPlain.version, seq: e.lastPlain.seq + 1}
	return [][]byte{appendRecord(nil, h, []byte{alertLevelFatal, alertUserCanceled})}
}

// takeOutput moves the datagrams OpenSSL wrote out of C memory.
func (e *Endpoint) takeOutput() ([][]byte, error) {
	var size, count C.size_t
	C.dtls_shim_output_size(e.c, &size, &count)
	if count == 0 {
		return nil, nil
	}
	data := make([]byte, size)
	ends := make([]C.size_t, count)
	if C.dtls_shim_output_take(e.c, (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(data))), size, &ends[0], count) != 1 {
		return nil, errors.New("dtls: output queue changed while taken")
	}
	send := make([][]byte, 0, count)
	start := 0
	for _, end := range ends {
		if int(end) <= start || int(end) > len(data) {
			return nil, fmt.Errorf("dtls: output queue boundary %d outside (%d, %d]", end, start, len(data))
		}
		send = append(send, data[start:end:end])
		start = int(end)
	}
	return send, nil
}

func (e *Endpoint) shimError(op string, status C.int) error {
	err := e.opensslError(op)
	if status == C.DTLS_SHIM_MISMATCH {
		return fmt.Errorf("%w (peer %s): %w", ErrFingerprintMismatch, e.role.peer(), err)
	}
	return err
}

func (e *Endpoint) opensslError(op string) error {
	msg := C.GoString(C.dtls_shim_endpoint_err(e.c))
	if msg == "" {
		msg = "failed without an OpenSSL error message"
	}
	return &OpenSSLError{Op: op, Message: msg}
}

// peer names the peer's role, for error messages.
func (r Role) peer() string {
	if r == RoleClient {
		return "server"
	}
	return "client"
}
