package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
	piondtls "github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/ice/v4"
	pionrtcp "github.com/pion/rtcp"
	pionrtp "github.com/pion/rtp"
	pionsrtp "github.com/pion/srtp/v3"
)

// These tests run a webrtc.Session against an independent implementation of everything it speaks: pion/ice as the
// full, controlling ICE agent that checks and nominates, pion/dtls as the DTLS client, pion/srtp for the media.
// Every address is loopback.

const webrtcWait = testkit.Patient

func newWebRTCEngine(t *testing.T, edit func(*webrtc.Config)) *webrtc.Engine {
	t.Helper()
	loopback := netip.MustParseAddr("127.0.0.1")
	cfg := webrtc.Config{
		Transport: transport.Config{PublicIPv4: loopback, ListenIPv4: loopback},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if edit != nil {
		edit(&cfg)
	}
	e, err := webrtc.NewEngineWith(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// sessionEvents is a webrtc.Handler that passes on what it gets.
type sessionEvents struct {
	states chan webrtc.State
	rtp    chan []byte
	rtcp   chan []byte
}

func newSessionEvents() *sessionEvents {
	return &sessionEvents{states: make(chan webrtc.State, 16), rtp: make(chan []byte, 256), rtcp: make(chan []byte, 64)}
}

func (h *sessionEvents) OnState(_ *webrtc.Session, st webrtc.State, _ webrtc.Reason) { h.states <- st }

func (h *sessionEvents) OnRTP(_ *webrtc.Session, pkt []byte, _ time.Time) {
	select {
	case h.rtp <- append([]byte(nil), pkt...):
	default:
	}
}

func (h *sessionEvents) OnRTCP(_ *webrtc.Session, pkt []byte, _ time.Time) {
	select {
	case h.rtcp <- append([]byte(nil), pkt...):
	default:
	}
}

func (h *sessionEvents) waitState(t *testing.T, want webrtc.State) {
	t.Helper()
	deadline := time.After(webrtcWait)
	for {
		select {
		case st := <-h.states:
			if st == want {
				return
			}
			if st.Final() {
				t.Fatalf("session ended %s, want %s", st, want)
			}
		case <-deadline:
			t.Fatalf("no state %s", want)
		}
	}
}

func webrtcReceive(t *testing.T, ch chan []byte, what string) []byte {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(webrtcWait):
		t.Fatalf("no %s", what)
		return nil
	}
}

// webrtcPeer is a browser made of pion parts.
type webrtcPeer struct {
	agent    *ice.Agent
	cert     tls.Certificate
	conn     *ice.Conn
	demux    *iceDemux
	dtls     *piondtls.Conn
	encrypt  *pionsrtp.Context // what the peer sends
	decrypt  *pionsrtp.Context // what the server sends
	profiles []piondtls.SRTPProtectionProfile
}

func newWebRTCPeer(t *testing.T, profiles []piondtls.SRTPProtectionProfile, opts ...ice.AgentOption) *webrtcPeer {
	t.Helper()
	agent, err := ice.NewAgentWithOptions(append([]ice.AgentOption{
		ice.WithNetworkTypes([]ice.NetworkType{ice.NetworkTypeUDP4}),
		ice.WithCandidateTypes([]ice.CandidateType{ice.CandidateTypeHost}),
		ice.WithIncludeLoopback(),
		ice.WithInterfaceFilter(func(name string) bool { return name == "lo" }),
		ice.WithMulticastDNSMode(ice.MulticastDNSModeDisabled),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Close() })
	if err := agent.OnCandidate(func(ice.Candidate) {}); err != nil {
		t.Fatal(err)
	}
	if err := agent.GatherCandidates(); err != nil {
		t.Fatal(err)
	}
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	return &webrtcPeer{agent: agent, cert: cert, profiles: profiles}
}

// transport is what the peer's SDP would say.
func (p *webrtcPeer) transport(t *testing.T) negotiate.Transport {
	t.Helper()
	ufrag, pwd, err := p.agent.GetLocalUserCredentials()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := dtls.ComputeFingerprint(dtls.SHA256, p.cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	hash, value, _ := strings.Cut(fp.String(), " ")
	return negotiate.Transport{ICEUfrag: ufrag, ICEPwd: pwd, Setup: sdp.SetupActive,
		Fingerprints: []sdp.Fingerprint{{HashFunction: hash, Value: value}}}
}

// connect runs ICE against the server's candidate, then the DTLS handshake, then makes the SRTP contexts.
func (p *webrtcPeer) connect(t *testing.T, local negotiate.Local) {
	t.Helper()
	cand, err := ice.UnmarshalCandidate(fmt.Sprintf("candidate:1 1 udp 2130706431 %s %d typ host",
		local.Addrs[0].Addr(), local.Addrs[0].Port()))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.agent.AddRemoteCandidate(cand); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), webrtcWait)
	defer cancel()
	conn, err := p.agent.Dial(ctx, local.ICEUfrag, local.ICEPwd)
	if err != nil {
		t.Fatalf("ICE: %v", err)
	}
	p.conn = conn
	p.demux = newICEDemux(conn)
	expect, err := dtls.ParseFingerprint(local.Fingerprints[0].HashFunction + " " + local.Fingerprints[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	p.dtls, err = piondtls.ClientWithOptions(p.demux, conn.RemoteAddr(),
		piondtls.WithCertificates(p.cert),
		piondtls.WithSRTPProtectionProfiles(p.profiles...),
		piondtls.WithExtendedMasterSecret(piondtls.RequireExtendedMasterSecret),
		piondtls.WithInsecureSkipVerify(true),
		piondtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no certificate")
			}
			got, err := dtls.ComputeFingerprint(expect.Hash, raw[0])
			if err != nil {
				return err
			}
			if !got.Equal(expect) {
				return fmt.Errorf("fingerprint %s, want %s", got, expect)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.dtls.Close() })
	if err := p.dtls.HandshakeContext(ctx); err != nil {
		t.Fatalf("DTLS: %v", err)
	}
	p.makeSRTP(t)
}

func (p *webrtcPeer) makeSRTP(t *testing.T) {
	t.Helper()
	profile, ok := p.dtls.SelectedSRTPProtectionProfile()
	if !ok {
		t.Fatal("no SRTP profile")
	}
	pionProfile := pionsrtp.ProtectionProfile(profile)
	keyLen, err := pionProfile.KeyLen()
	if err != nil {
		t.Fatal(err)
	}
	saltLen, err := pionProfile.SaltLen()
	if err != nil {
		t.Fatal(err)
	}
	state, ok := p.dtls.ConnectionState()
	if !ok {
		t.Fatal("no DTLS state")
	}
	m, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, 2*(keyLen+saltLen))
	if err != nil {
		t.Fatal(err)
	}
	clientKey, serverKey := m[:keyLen], m[keyLen:2*keyLen]
	clientSalt, serverSalt := m[2*keyLen:2*keyLen+saltLen], m[2*keyLen+saltLen:]
	if p.encrypt, err = pionsrtp.CreateContext(clientKey, clientSalt, pionProfile); err != nil {
		t.Fatal(err)
	}
	if p.decrypt, err = pionsrtp.CreateContext(serverKey, serverSalt, pionProfile); err != nil {
		t.Fatal(err)
	}
}

func (p *webrtcPeer) sendRTP(t *testing.T, pkt *pionrtp.Packet) {
	t.Helper()
	raw, err := pkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := p.encrypt.EncryptRTP(nil, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.conn.Write(enc); err != nil {
		t.Fatal(err)
	}
}

func (p *webrtcPeer) sendRTCP(t *testing.T, pkts ...pionrtcp.Packet) {
	t.Helper()
	raw, err := pionrtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := p.encrypt.EncryptRTCP(nil, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.conn.Write(enc); err != nil {
		t.Fatal(err)
	}
}

// iceDemux splits what arrives on the ICE connection as a browser does (RFC 7983): DTLS for pion/dtls, which reads
// it through the net.PacketConn methods, and SRTP/SRTCP for the test.
type iceDemux struct {
	conn *ice.Conn
	dtls chan []byte
	srtp chan []byte
	done chan struct{}

	mu       sync.Mutex
	deadline time.Time
	wake     chan struct{} // closed when the deadline changes
}

func newICEDemux(conn *ice.Conn) *iceDemux {
	d := &iceDemux{conn: conn, dtls: make(chan []byte, 64), srtp: make(chan []byte, 256), done: make(chan struct{}),
		wake: make(chan struct{})}
	go d.pump()
	return d
}

func (d *iceDemux) pump() {
	defer close(d.done)
	buf := make([]byte, 1500)
	for {
		n, err := d.conn.Read(buf)
		if err != nil {
			return
		}
		b := append([]byte(nil), buf[:n]...)
		switch kind := transport.Classify(b); kind {
		case transport.KindDTLS:
			d.dtls <- b
		case transport.KindRTP, transport.KindRTCP:
			select {
			case d.srtp <- b:
			default:
			}
		}
	}
}

func (d *iceDemux) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		d.mu.Lock()
		deadline, wake := d.deadline, d.wake
		d.mu.Unlock()
		var expired <-chan time.Time
		if !deadline.IsZero() {
			wait := time.Until(deadline)
			if wait <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			timer := time.NewTimer(wait)
			defer timer.Stop()
			expired = timer.C
		}
		select {
		case b := <-d.dtls:
			return copy(p, b), d.conn.RemoteAddr(), nil
		case <-d.done:
			return 0, nil, net.ErrClosed
		case <-expired:
			return 0, nil, os.ErrDeadlineExceeded
		case <-wake:
		}
	}
}

func (d *iceDemux) WriteTo(p []byte, _ net.Addr) (int, error) { return d.conn.Write(p) }
func (d *iceDemux) Close() error                              { return d.conn.Close() }
func (d *iceDemux) LocalAddr() net.Addr                       { return d.conn.LocalAddr() }
func (d *iceDemux) SetDeadline(t time.Time) error             { return d.SetReadDeadline(t) }
func (d *iceDemux) SetWriteDeadline(time.Time) error          { return nil }

func (d *iceDemux) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deadline = t
	close(d.wake)
	d.wake = make(chan struct{})
	return nil
}

// TestWebRTCSessionWithPion: pion checks and nominates, handshakes, and exchanges RTP and RTCP both ways with the
// session, with each SRTP profile; the server picks AES-GCM when pion offers both. Close sends close_notify.
func TestWebRTCSessionWithPion(t *testing.T) {
	tests := []struct {
		name  string
		pion  []piondtls.SRTPProtectionProfile
		agree string
	}{
		{"AES-GCM", []piondtls.SRTPProtectionProfile{piondtls.SRTP_AEAD_AES_128_GCM}, "SRTP_AEAD_AES_128_GCM"},
		{"AES-CM", []piondtls.SRTPProtectionProfile{piondtls.SRTP_AES128_CM_HMAC_SHA1_80}, "SRTP_AES128_CM_HMAC_SHA1_80"},
		{"both, AES-CM first", []piondtls.SRTPProtectionProfile{piondtls.SRTP_AES128_CM_HMAC_SHA1_80,
			piondtls.SRTP_AEAD_AES_128_GCM}, "SRTP_AEAD_AES_128_GCM"},
	}
	e := newWebRTCEngine(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := newSessionEvents()
			s, err := e.NewSessionWith(webrtc.SessionParams{Handler: events})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close(); <-s.Done() }()
			peer := newWebRTCPeer(t, tt.pion)
			if err := s.SetRemote(peer.transport(t)); err != nil {
				t.Fatal(err)
			}
			peer.connect(t, s.Local())
			events.waitState(t, webrtc.StateConnected)
			if st := s.Stats(); st.SRTPProfile != tt.agree {
				t.Fatalf("profile %s, want %s", st.SRTPProfile, tt.agree)
			}
			if sel, _ := s.Selected(); sel.String() != peer.conn.LocalAddr().String() {
				t.Fatalf("selected %v, pion is on %v", sel, peer.conn.LocalAddr())
			}

			// pion -> session
			sent := &pionrtp.Packet{Header: pionrtp.Header{Version: 2, PayloadType: 111, SequenceNumber: 7,
				Timestamp: 960, SSRC: 0xa1}, Payload: []byte("opus frame from pion")}
			peer.sendRTP(t, sent)
			got := webrtcReceive(t, events.rtp, "RTP from pion")
			var pkt pionrtp.Packet
			if err := pkt.Unmarshal(got); err != nil || pkt.SSRC != 0xa1 || pkt.SequenceNumber != 7 ||
				!bytes.Equal(pkt.Payload, sent.Payload) {
				t.Fatalf("session got %+v (%v)", pkt.Header, err)
			}
			peer.sendRTCP(t, &pionrtcp.PictureLossIndication{SenderSSRC: 0xa1, MediaSSRC: 0xb2})
			rtcps, err := pionrtcp.Unmarshal(webrtcReceive(t, events.rtcp, "RTCP from pion"))
			if pli, ok := rtcps[0].(*pionrtcp.PictureLossIndication); err != nil || !ok || pli.MediaSSRC != 0xb2 {
				t.Fatalf("session got RTCP %v (%v)", rtcps, err)
			}

			// session -> pion
			out := &pionrtp.Packet{Header: pionrtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 100,
				Timestamp: 9000, SSRC: 0xb2, Marker: true}, Payload: []byte("vp8 frame from the server")}
			raw, err := out.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WriteRTP(raw); err != nil {
				t.Fatal(err)
			}
			dec, err := peer.decrypt.DecryptRTP(nil, webrtcReceive(t, peer.demux.srtp, "SRTP from the session"), nil)
			if err != nil || !bytes.Equal(dec, raw) {
				t.Fatalf("pion decrypted % x (%v)", dec, err)
			}
			bye, err := (&pionrtcp.Goodbye{Sources: []uint32{0xb2}}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WriteRTCP(bye); err != nil {
				t.Fatal(err)
			}
			s.Close()
			dec, err = peer.decrypt.DecryptRTCP(nil, webrtcReceive(t, peer.demux.srtp, "SRTCP from the session"), nil)
			if err != nil || !bytes.Equal(dec, bye) {
				t.Fatalf("pion decrypted RTCP % x (%v)", dec, err)
			}
			// Then close_notify: pion's reads end.
			if err := readCloseNotify(peer.dtls); err != nil {
				t.Fatal(err)
			}
			events.waitState(t, webrtc.StateClosed)
		})
	}
}

// readCloseNotify reads pion's DTLS connection until it reports the peer's close_notify.
func readCloseNotify(conn *piondtls.Conn) error {
	if err := conn.SetReadDeadline(time.Now().Add(webrtcWait)); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		_, err := conn.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("pion read ended with %v, want io.EOF (close_notify)", err)
		}
	}
}

// TestWebRTCConsentWithPion: pion's keepalive checks keep consent alive; once pion is gone, the session fails with
// consent-expired.
func TestWebRTCConsentWithPion(t *testing.T) {
	// pion checks every 200 ms: the session survives a stall of 1.8 s of either side, as a busy machine may cause.
	const consent = 2 * time.Second
	e := newWebRTCEngine(t, func(c *webrtc.Config) { c.ConsentTimeout = consent })
	events := newSessionEvents()
	s, err := e.NewSessionWith(webrtc.SessionParams{Handler: events})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close(); <-s.Done() }()
	peer := newWebRTCPeer(t, []piondtls.SRTPProtectionProfile{piondtls.SRTP_AEAD_AES_128_GCM},
		ice.WithKeepaliveInterval(200*time.Millisecond))
	if err := s.SetRemote(peer.transport(t)); err != nil {
		t.Fatal(err)
	}
	peer.connect(t, s.Local())
	events.waitState(t, webrtc.StateConnected)
	// pion must keep the session alive on its own, across several consent timeouts: 30 of its checks take 6 s at
	// least, three timeouts, and the session must stay connected all along.
	checks := s.Stats().ChecksOK
	var st webrtc.SessionStats
	testkit.WaitFor(t, 2*testkit.Patient, "30 keepalives", func() bool {
		st = s.Stats()
		return st.State != webrtc.StateConnected || st.ChecksOK >= checks+30
	})
	if st.State != webrtc.StateConnected {
		t.Fatalf("%s after %d keepalives: %s", st.State, st.ChecksOK-checks, s.Reason())
	}
	if err := peer.agent.Close(); err != nil {
		t.Fatal(err)
	}
	events.waitState(t, webrtc.StateFailed)
	if r := s.Reason(); r != webrtc.ReasonConsentExpired {
		t.Fatalf("reason %s", r)
	}
}
