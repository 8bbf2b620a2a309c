package webrtc

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/stun"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// waitTimeout bounds every wait of the tests; the conditions normally hold within milliseconds.
const waitTimeout = testkit.Patient

// consent is the consent timeout of the tests that renew consent. Their checks come every consent/10, so that the
// session survives a stall of the test's goroutine of nine tenths of it, as a busy machine may cause.
const consent = 2 * time.Second

var loopback4 = netip.MustParseAddr("127.0.0.1")

// newTestEngine returns an Engine on a free loopback port, closed at the end of the test. edit adjusts the Config.
func newTestEngine(tb testing.TB, edit func(*Config)) *Engine {
	tb.Helper()
	cfg := testConfig()
	if edit != nil {
		edit(&cfg)
	}
	e, err := NewEngineWith(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := e.Close(); err != nil {
			tb.Error(err)
		}
	})
	return e
}

// testConfig is the Config of the tests' engines: a free loopback port, warnings and errors on stderr.
func testConfig() Config {
	return Config{
		Transport: transport.Config{PublicIPv4: loopback4, ListenIPv4: loopback4},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// stateEvent is one OnState call.
type stateEvent struct {
	state  State
	reason Reason
}

// recorder is a Handler that keeps what it gets. hook, when set, runs on every RTP packet.
type recorder struct {
	states chan stateEvent
	rtp    chan []byte
	rtcp   chan []byte
	mu     sync.Mutex
	hook   func(s *Session, pkt []byte, received time.Time)
	drop   bool // keep no copy of the packets (benchmarks)
}

func newRecorder() *recorder {
	return &recorder{states: make(chan stateEvent, 16), rtp: make(chan []byte, 4096), rtcp: make(chan []byte, 256)}
}

func (r *recorder) OnState(_ *Session, state State, reason Reason) {
	r.states <- stateEvent{state, reason}
}

func (r *recorder) OnRTP(s *Session, pkt []byte, received time.Time) {
	r.mu.Lock()
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		hook(s, pkt, received)
	}
	if r.drop {
		return
	}
	select {
	case r.rtp <- append([]byte(nil), pkt...):
	default:
	}
}

func (r *recorder) OnRTCP(_ *Session, pkt []byte, _ time.Time) {
	select {
	case r.rtcp <- append([]byte(nil), pkt...):
	default:
	}
}

// waitState waits for the OnState call with state, failing on any other final state.
func (r *recorder) waitState(tb testing.TB, want State) stateEvent {
	tb.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev := <-r.states:
			if ev.state == want {
				return ev
			}
			if ev.state.Final() {
				tb.Fatalf("session ended %s (%s), want %s", ev.state, ev.reason, want)
			}
		case <-deadline:
			tb.Fatalf("no state %s within %v", want, waitTimeout)
		}
	}
}

// waitDone waits for the end of s.
func waitDone(tb testing.TB, s *Session) {
	tb.Helper()
	select {
	case <-s.Done():
	case <-time.After(waitTimeout):
		tb.Fatalf("session %s did not end within %v", s.ID(), waitTimeout)
	}
}

// newTestSession returns a session of e with a recorder, closed at the end of the test.
func newTestSession(tb testing.TB, e *Engine, remote *negotiate.Transport) (*Session, *recorder) {
	tb.Helper()
	rec := newRecorder()
	s, err := e.NewSessionWith(SessionParams{Handler: rec, Remote: remote})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		<-s.Done()
	})
	return s, rec
}

// testPeer is a browser made of the project's own codecs: a full ICE agent that only sends checks, a DTLS client
// (a DTLS server when passive) and SRTP contexts, on one UDP socket.
type testPeer struct {
	tb          testing.TB
	conn        *net.UDPConn
	tcp         *tcpPath // when set, the peer talks over this ICE-TCP connection instead of conn
	server      netip.AddrPort
	ufrag, pwd  string
	serverUfrag string
	serverPwd   *stun.Integrity
	serverFP    dtls.Fingerprint
	ctx         *dtls.Context
	dtls        *dtls.Endpoint
	in          *srtp.Inbound
	out         *srtp.Outbound
	msg         *stun.Message
	buf         []byte
	closed      bool
	// passive: the peer's SDP says setup:passive and it is the DTLS server, as pion answers an ICE-lite offerer.
	passive bool
}

// newTestPeer returns a peer of s on a new loopback socket of the server address's family, closed at the end of
// the test. profiles, when given, are the SRTP profiles its DTLS client offers.
func newTestPeer(tb testing.TB, s *Session, server netip.AddrPort, profiles ...dtls.SRTPProfile) *testPeer {
	tb.Helper()
	p := makeTestPeer(tb, s, server, profiles...)
	tb.Cleanup(p.close)
	return p
}

// makeTestPeer is newTestPeer for a caller that closes the peer itself.
func makeTestPeer(tb testing.TB, s *Session, server netip.AddrPort, profiles ...dtls.SRTPProfile) *testPeer {
	tb.Helper()
	ufrag, pwd, err := newICECredentials()
	if err != nil {
		tb.Fatal(err)
	}
	local := s.Local()
	integrity, err := stun.NewShortTermIntegrity(local.ICEPwd)
	if err != nil {
		tb.Fatal(err)
	}
	fp, err := dtls.ParseFingerprint(local.Fingerprints[0].HashFunction + " " + local.Fingerprints[0].Value)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := dtls.NewCertificate()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, err := dtls.NewContextWith(dtls.Config{Certificate: cert, SRTPProfiles: profiles,
		RetransmitTimeout: 100 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	return &testPeer{tb: tb, conn: listenLike(tb, server), server: server, ufrag: ufrag, pwd: pwd, serverUfrag: local.ICEUfrag,
		serverPwd: integrity, serverFP: fp, ctx: ctx, msg: stun.NewMessage(), buf: make([]byte, 2048)}
}

// listenLike opens a UDP socket on the loopback address of server's family.
func listenLike(tb testing.TB, server netip.AddrPort) *net.UDPConn {
	tb.Helper()
	bind := netip.AddrPortFrom(loopback4, 0)
	if server.Addr().Is6() {
		bind = netip.AddrPortFrom(netip.IPv6Loopback(), 0)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(bind))
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// moveSocket gives the peer a new socket, as a browser that changes network does, and returns the old one (the
// test closes it).
func (p *testPeer) moveSocket() *net.UDPConn {
	old := p.conn
	p.conn = listenLike(p.tb, p.server)
	return old
}

func (p *testPeer) close() {
	if p.closed {
		return
	}
	p.closed = true
	if p.dtls != nil {
		if _, err := p.dtls.Close(); err != nil {
			p.tb.Error(err)
		}
	}
	var errs []error
	if p.in != nil {
		errs = append(errs, p.in.Close())
	}
	if p.out != nil {
		errs = append(errs, p.out.Close())
	}
	if err := errors.Join(append(errs, p.ctx.Close(), p.conn.Close())...); err != nil {
		p.tb.Error(err)
	}
}

// addr is the peer's own address.
func (p *testPeer) addr() transport.Addr {
	if p.tcp != nil {
		return p.tcp.addr()
	}
	return transport.UDPAddr(p.conn.LocalAddr().(*net.UDPAddr).AddrPort())
}

// transport is what the peer's SDP says of its transport.
func (p *testPeer) transport() negotiate.Transport {
	hash, value := splitFingerprint(p.ctx.Fingerprint())
	setup := sdp.SetupActive
	if p.passive {
		setup = sdp.SetupPassive
	}
	return negotiate.Transport{ICEUfrag: p.ufrag, ICEPwd: p.pwd, Setup: setup,
		Fingerprints: []sdp.Fingerprint{{HashFunction: hash, Value: value}}}
}

func splitFingerprint(f dtls.Fingerprint) (hash, value string) {
	s := f.String()
	for i := range len(s) {
		if s[i] == ' ' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func (p *testPeer) send(b []byte) {
	p.tb.Helper()
	if p.tcp != nil {
		p.tcp.send(p.tb, b)
		return
	}
	if _, err := p.conn.WriteToUDPAddrPort(b, p.server); err != nil {
		p.tb.Fatal(err)
	}
}

// read returns the next datagram from the server, false after timeout.
func (p *testPeer) read(timeout time.Duration) ([]byte, bool) {
	p.tb.Helper()
	if p.tcp != nil {
		return p.tcp.read(p.tb, p.buf, timeout)
	}
	if err := p.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		p.tb.Fatal(err)
	}
	n, _, err := p.conn.ReadFromUDPAddrPort(p.buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, false
	}
	if err != nil {
		p.tb.Fatal(err)
	}
	return p.buf[:n], true
}

// readKind returns the next datagram of the kind, skipping others, false after timeout.
func (p *testPeer) readKind(kind transport.Kind, timeout time.Duration) ([]byte, bool) {
	p.tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, false
		}
		b, ok := p.read(left)
		if !ok {
			return nil, false
		}
		if transport.Classify(b) == kind {
			return b, true
		}
	}
}

// checkOpts shape a connectivity check; the zero value is a valid check of a controlling agent.
type checkOpts struct {
	useCandidate  bool
	role          stun.Role // RoleNone means RoleControlling
	username      string    // "" means "<server ufrag>:<peer ufrag>"
	integrity     *stun.Integrity
	noIntegrity   bool
	noFingerprint bool
}

// check sends a connectivity check and returns the server's answer, nil when none came within timeout.
func (p *testPeer) check(o checkOpts, timeout time.Duration) *stun.Message {
	p.tb.Helper()
	id, err := stun.NewTransactionID()
	if err != nil {
		p.tb.Fatal(err)
	}
	if o.username == "" {
		o.username = p.serverUfrag + ":" + p.ufrag
	}
	if o.integrity == nil {
		o.integrity = p.serverPwd
	}
	b := stun.NewBuilder(nil, stun.BindingRequest, id).AddUsername(o.username).AddPriority(1 << 24)
	if o.useCandidate {
		b.AddUseCandidate()
	}
	if o.role == stun.RoleControlled {
		b.AddICEControlled(42)
	} else {
		b.AddICEControlling(42)
	}
	if !o.noIntegrity {
		b.AddMessageIntegrity(o.integrity)
	}
	if !o.noFingerprint {
		b.AddFingerprint()
	}
	req, err := b.Bytes()
	if err != nil {
		p.tb.Fatal(err)
	}
	p.send(req)
	deadline := time.Now().Add(timeout)
	for {
		resp, ok := p.readKind(transport.KindSTUN, time.Until(deadline))
		if !ok {
			return nil
		}
		msg := stun.NewMessage()
		if err := msg.Parse(resp); err != nil {
			p.tb.Fatalf("server sent a malformed STUN message: %v", err)
		}
		if msg.TransactionID() == id {
			return msg
		}
	}
}

// mustCheck sends a valid check and fails unless it gets a verified success response.
// renewConsent sends a check from p every consent/10 for d.
func renewConsent(p *testPeer, d time.Duration) {
	p.tb.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); {
		time.Sleep(consent / 10)
		p.mustCheck(false)
	}
}

func (p *testPeer) mustCheck(useCandidate bool) {
	p.tb.Helper()
	resp := p.check(checkOpts{useCandidate: useCandidate}, waitTimeout)
	if resp == nil || resp.Type() != stun.BindingSuccess {
		p.tb.Fatalf("check: %v", describe(resp))
	}
	if err := p.serverPwd.Check(resp); err != nil {
		p.tb.Fatalf("success response integrity: %v", err)
	}
	if err := resp.CheckFingerprint(); err != nil {
		p.tb.Fatalf("success response fingerprint: %v", err)
	}
	mapped, err := resp.XORMappedAddress()
	if err != nil || mapped != p.addr().AddrPort {
		p.tb.Fatalf("XOR-MAPPED-ADDRESS %v (%v), want %v", mapped, err, p.addr())
	}
}

func describe(m *stun.Message) string {
	if m == nil {
		return "no answer"
	}
	if code, _, err := m.ErrorCode(); err == nil {
		return code.String()
	}
	return m.Type().String()
}

// handshake runs the DTLS client (the server when passive: it waits for the ClientHello) until the handshake
// completes or fails, then makes the SRTP contexts.
func (p *testPeer) handshake() error {
	p.tb.Helper()
	role := dtls.RoleClient
	if p.passive {
		role = dtls.RoleServer
	}
	ep, err := p.ctx.NewEndpointWith(dtls.EndpointParams{Role: role, RemoteFingerprints: []dtls.Fingerprint{p.serverFP}})
	if err != nil {
		p.tb.Fatal(err)
	}
	p.dtls = ep
	send, err := ep.Start()
	p.sendAll(send)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		wait := 50 * time.Millisecond
		if at, ok := ep.NextTimeout(); ok {
			wait = max(time.Until(at), time.Millisecond)
		}
		b, ok := p.readKind(transport.KindDTLS, wait)
		if !ok {
			send, err := ep.HandleTimeout()
			p.sendAll(send)
			if err != nil {
				return err
			}
			continue
		}
		res, err := ep.HandleDatagram(b)
		p.sendAll(res.Send)
		if err != nil {
			return err
		}
		if res.HandshakeComplete {
			return p.makeSRTP()
		}
	}
	return errors.New("handshake timed out")
}

func (p *testPeer) sendAll(datagrams [][]byte) {
	for _, d := range datagrams {
		p.send(d)
	}
}

func (p *testPeer) makeSRTP() error {
	keys, err := p.dtls.SRTPKeys()
	if err != nil {
		return err
	}
	defer keys.Wipe()
	profile := srtp.Profile(keys.Profile)
	if p.in, err = srtp.NewInbound(profile, keys.RemoteKey, keys.RemoteSalt); err != nil {
		return err
	}
	p.out, err = srtp.NewOutbound(profile, keys.LocalKey, keys.LocalSalt)
	return err
}

// connect runs ICE (one nominating check) and DTLS, and waits for the session to be connected.
func (p *testPeer) connect(rec *recorder) {
	p.tb.Helper()
	p.mustCheck(true)
	if err := p.handshake(); err != nil {
		p.tb.Fatalf("handshake: %v", err)
	}
	rec.waitState(p.tb, StateConnected)
}

// rtpPacket returns an RTP packet with room for the SRTP tag.
func rtpPacket(seq uint16, ssrc uint32, payload []byte) []byte {
	return appendRTP(make([]byte, 0, 12+len(payload)+srtp.MaxRTPOverhead), seq, ssrc, payload)
}

// appendRTP appends an RTP packet (payload type 96) to dst.
func appendRTP(dst []byte, seq uint16, ssrc uint32, payload []byte) []byte {
	dst = append(dst, 0x80, 96)
	dst = binary.BigEndian.AppendUint16(dst, seq)
	dst = binary.BigEndian.AppendUint32(dst, uint32(seq)*3000)
	dst = binary.BigEndian.AppendUint32(dst, ssrc)
	return append(dst, payload...)
}

// rtcpBye returns an RTCP BYE for ssrc, with room for the SRTCP tag and index.
func rtcpBye(ssrc uint32) []byte {
	b := make([]byte, 8, 8+srtp.MaxRTCPOverhead)
	b[0], b[1] = 0x81, 203
	binary.BigEndian.PutUint16(b[2:], 1)
	binary.BigEndian.PutUint32(b[4:], ssrc)
	return b
}

// sendRTP protects and sends an RTP packet.
func (p *testPeer) sendRTP(pkt []byte) {
	p.tb.Helper()
	b, err := p.out.ProtectRTP(pkt)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.send(b)
}

// readMedia returns the next SRTP (rtcp false) or SRTCP packet from the server, decrypted; false after timeout.
func (p *testPeer) readMedia(rtcp bool, timeout time.Duration) ([]byte, bool) {
	p.tb.Helper()
	kind := transport.KindRTP
	if rtcp {
		kind = transport.KindRTCP
	}
	b, ok := p.readKind(kind, timeout)
	if !ok {
		return nil, false
	}
	var pkt []byte
	var err error
	if rtcp {
		pkt, err = p.in.UnprotectRTCP(b)
	} else {
		pkt, err = p.in.UnprotectRTP(b)
	}
	if err != nil {
		p.tb.Fatalf("unprotect: %v", err)
	}
	return append([]byte(nil), pkt...), true
}

// readChromiumClientHello returns the two datagrams of Chromium 156's fragmented ClientHello, each stored after a
// 4-byte big-endian length.
func readChromiumClientHello(tb testing.TB) [][]byte {
	tb.Helper()
	raw, err := os.ReadFile("testdata/chromium156-dtls-clienthello.bin")
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for len(raw) > 0 {
		if len(raw) < 4 || int(binary.BigEndian.Uint32(raw)) > len(raw)-4 {
			tb.Fatal("truncated ClientHello vector")
		}
		n := int(binary.BigEndian.Uint32(raw))
		out = append(out, raw[4:4+n])
		raw = raw[4+n:]
	}
	return out
}
