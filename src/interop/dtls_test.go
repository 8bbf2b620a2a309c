package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	piondtls "github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
)

// dtlsLabel is the exporter label of DTLS-SRTP (RFC 5764 4.2).
const dtlsLabel = "EXTRACTOR-dtls_srtp"

// dtlsPeer is one pion endpoint with its certificate, and one of ours, each with a loopback socket.
type dtlsPeer struct {
	ctx      *dtls.Context
	pionCert tls.Certificate
	pionFP   dtls.Fingerprint
	ourConn  net.PacketConn
	pionConn net.PacketConn
}

func newDTLSPeer(t *testing.T, profiles []dtls.SRTPProfile) *dtlsPeer {
	t.Helper()
	cert, err := dtls.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := dtls.NewContextWith(dtls.Config{Certificate: cert, SRTPProfiles: profiles})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ctx.Close(); err != nil {
			t.Error(err)
		}
	})
	pionCert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	pionFP, err := dtls.ComputeFingerprint(dtls.SHA256, pionCert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return &dtlsPeer{ctx: ctx, pionCert: pionCert, pionFP: pionFP, ourConn: dtlsListen(t), pionConn: dtlsListen(t)}
}

func dtlsListen(t *testing.T) net.PacketConn {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// pion closes the socket it was given on Close; a second close is expected to fail.
		_ = conn.Close()
	})
	return conn
}

func (p *dtlsPeer) pionClientOptions(profiles []piondtls.SRTPProtectionProfile) []piondtls.ClientOption {
	var opts []piondtls.ClientOption
	for _, o := range p.pionOptions(profiles) {
		opts = append(opts, o)
	}
	return opts
}

// pionServerOptions also asks for our certificate, as a WebRTC DTLS server must.
func (p *dtlsPeer) pionServerOptions(profiles []piondtls.SRTPProtectionProfile) []piondtls.ServerOption {
	opts := []piondtls.ServerOption{piondtls.WithClientAuth(piondtls.RequireAnyClientCert)}
	for _, o := range p.pionOptions(profiles) {
		opts = append(opts, o)
	}
	return opts
}

// pionOptions are the options of both pion roles: our certificate checked by fingerprint, as WebRTC does.
func (p *dtlsPeer) pionOptions(profiles []piondtls.SRTPProtectionProfile) []piondtls.Option {
	expect := p.ctx.Fingerprint()
	return []piondtls.Option{
		piondtls.WithCertificates(p.pionCert),
		piondtls.WithSRTPProtectionProfiles(profiles...),
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
		}),
	}
}

// dtlsOutcome is how a handshake between pion and us ended.
type dtlsOutcome struct {
	conn    *piondtls.Conn
	pionErr error
	ourErr  error
}

// handshake runs our endpoint's Handshake and pion's at once.
func (p *dtlsPeer) handshake(t *testing.T, ours *dtls.Endpoint, pionConn func() (*piondtls.Conn, error)) dtlsOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patient)
	defer cancel()
	ourErr := make(chan error, 1)
	go func() { ourErr <- dtls.Handshake(ctx, ours, p.ourConn, p.pionConn.LocalAddr()) }()
	conn, err := pionConn()
	if err == nil {
		err = conn.HandshakeContext(ctx)
	}
	if err != nil {
		// Our side may wait for a flight pion will never send.
		cancel()
	}
	return dtlsOutcome{conn: conn, pionErr: err, ourErr: <-ourErr}
}

// checkPionKeys compares our endpoint's keys with the material pion exports.
func checkPionKeys(t *testing.T, ours *dtls.Endpoint, conn *piondtls.Conn, pionIsClient bool, want dtls.SRTPProfile) {
	t.Helper()
	keys, err := ours.SRTPKeys()
	if err != nil {
		t.Fatal(err)
	}
	pionProfile, ok := conn.SelectedSRTPProtectionProfile()
	if !ok || uint16(pionProfile) != uint16(want) || keys.Profile != want {
		t.Fatalf("profiles: ours %s, pion %#04x; want %s", keys.Profile, uint16(pionProfile), want)
	}
	state, ok := conn.ConnectionState()
	if !ok {
		t.Fatal("pion has no connection state")
	}
	k, s := want.KeyLen(), want.SaltLen()
	material, err := state.ExportKeyingMaterial(dtlsLabel, nil, 2*(k+s))
	if err != nil {
		t.Fatal(err)
	}
	clientKey, serverKey := material[:k], material[k:2*k]
	clientSalt, serverSalt := material[2*k:2*k+s], material[2*k+s:]
	pionKey, pionSalt, ourKey, ourSalt := serverKey, serverSalt, clientKey, clientSalt
	if pionIsClient {
		pionKey, pionSalt, ourKey, ourSalt = clientKey, clientSalt, serverKey, serverSalt
	}
	if !bytes.Equal(keys.LocalKey, ourKey) || !bytes.Equal(keys.LocalSalt, ourSalt) ||
		!bytes.Equal(keys.RemoteKey, pionKey) || !bytes.Equal(keys.RemoteSalt, pionSalt) {
		t.Fatal("our SRTP keys differ from pion's exported material")
	}
}

// checkDataAndClose sends a record each way, then closes ours and expects pion to see close_notify.
func (p *dtlsPeer) checkDataAndClose(t *testing.T, ours *dtls.Endpoint, conn *piondtls.Conn) {
	t.Helper()
	if _, err := conn.Write([]byte("from pion")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, dtls.MaxDatagramSize)
	if err := p.ourConn.SetReadDeadline(time.Now().Add(testkit.Patient)); err != nil {
		t.Fatal(err)
	}
	n, _, err := p.ourConn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ours.HandleDatagram(buf[:n])
	if err != nil || len(res.Data) != 1 || string(res.Data[0]) != "from pion" {
		t.Fatalf("our endpoint read %q, %v", res.Data, err)
	}
	send, err := ours.Write([]byte("from us"))
	if err != nil {
		t.Fatal(err)
	}
	dtlsSend(t, p.ourConn, p.pionConn.LocalAddr(), send)
	if err := conn.SetReadDeadline(time.Now().Add(testkit.Patient)); err != nil {
		t.Fatal(err)
	}
	n, err = conn.Read(buf)
	if err != nil || string(buf[:n]) != "from us" {
		t.Fatalf("pion read %q, %v", buf[:n], err)
	}
	closeNotify, err := ours.Close()
	if err != nil || len(closeNotify) == 0 {
		t.Fatalf("Close = %d datagrams, %v", len(closeNotify), err)
	}
	dtlsSend(t, p.ourConn, p.pionConn.LocalAddr(), closeNotify)
	if _, err := conn.Read(buf); !errors.Is(err, io.EOF) {
		t.Fatalf("pion after our close_notify: %v, want io.EOF", err)
	}
}

func dtlsSend(t *testing.T, conn net.PacketConn, to net.Addr, datagrams [][]byte) {
	t.Helper()
	for _, d := range datagrams {
		if _, err := conn.WriteTo(d, to); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	pionBothProfiles = []piondtls.SRTPProtectionProfile{piondtls.SRTP_AES128_CM_HMAC_SHA1_80, piondtls.SRTP_AEAD_AES_128_GCM}
	pionGCMOnly      = []piondtls.SRTPProtectionProfile{piondtls.SRTP_AEAD_AES_128_GCM}
)

// dtlsProfileCases: the DTLS server's preference decides, so each case says what either server picks.
var dtlsProfileCases = []struct {
	name           string
	ours           []dtls.SRTPProfile
	pion           []piondtls.SRTPProtectionProfile
	wantOurServer  dtls.SRTPProfile
	wantPionServer dtls.SRTPProfile
}{
	{"our default profiles, pion prefers CM", nil, pionBothProfiles, dtls.SRTPAEADAES128GCM, dtls.SRTPAES128CMHMACSHA1_80},
	{"we offer CM_SHA1_80 only", []dtls.SRTPProfile{dtls.SRTPAES128CMHMACSHA1_80}, pionBothProfiles,
		dtls.SRTPAES128CMHMACSHA1_80, dtls.SRTPAES128CMHMACSHA1_80},
	{"pion offers GCM only", nil, pionGCMOnly, dtls.SRTPAEADAES128GCM, dtls.SRTPAEADAES128GCM},
}

func TestDTLSPionClientAgainstOurServer(t *testing.T) {
	for _, tt := range dtlsProfileCases {
		t.Run(tt.name, func(t *testing.T) {
			p := newDTLSPeer(t, tt.ours)
			ours, err := p.ctx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleServer, RemoteFingerprints: []dtls.Fingerprint{p.pionFP}})
			if err != nil {
				t.Fatal(err)
			}
			out := p.handshake(t, ours, func() (*piondtls.Conn, error) {
				return piondtls.ClientWithOptions(p.pionConn, p.ourConn.LocalAddr(), p.pionClientOptions(tt.pion)...)
			})
			if out.pionErr != nil || out.ourErr != nil {
				t.Fatalf("pion client: %v; our server: %v", out.pionErr, out.ourErr)
			}
			defer dtlsClosePion(t, out.conn)
			checkPionKeys(t, ours, out.conn, true, tt.wantOurServer)
			p.checkDataAndClose(t, ours, out.conn)
		})
	}
}

func TestDTLSOurClientAgainstPionServer(t *testing.T) {
	for _, tt := range dtlsProfileCases {
		t.Run(tt.name, func(t *testing.T) {
			p := newDTLSPeer(t, tt.ours)
			ours, err := p.ctx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleClient, RemoteFingerprints: []dtls.Fingerprint{p.pionFP}})
			if err != nil {
				t.Fatal(err)
			}
			out := p.handshake(t, ours, func() (*piondtls.Conn, error) {
				return piondtls.ServerWithOptions(p.pionConn, p.ourConn.LocalAddr(), p.pionServerOptions(tt.pion)...)
			})
			if out.pionErr != nil || out.ourErr != nil {
				t.Fatalf("pion server: %v; our client: %v", out.pionErr, out.ourErr)
			}
			defer dtlsClosePion(t, out.conn)
			checkPionKeys(t, ours, out.conn, false, tt.wantPionServer)
			p.checkDataAndClose(t, ours, out.conn)
		})
	}
}

func TestDTLSPionWithWrongFingerprint(t *testing.T) {
	p := newDTLSPeer(t, nil)
	stranger, err := dtls.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := p.ctx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleServer, RemoteFingerprints: []dtls.Fingerprint{stranger.Fingerprint()}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := ours.Close(); err != nil {
			t.Error(err)
		}
	}()
	out := p.handshake(t, ours, func() (*piondtls.Conn, error) {
		return piondtls.ClientWithOptions(p.pionConn, p.ourConn.LocalAddr(), p.pionClientOptions(pionBothProfiles)...)
	})
	if out.conn != nil {
		dtlsClosePion(t, out.conn)
	}
	if !errors.Is(out.ourErr, dtls.ErrFingerprintMismatch) || out.pionErr == nil {
		t.Fatalf("our server: %v; pion client: %v; want a fingerprint mismatch failing both", out.ourErr, out.pionErr)
	}
	t.Logf("our server: %v; pion client: %v", out.ourErr, out.pionErr)
}

func dtlsClosePion(t *testing.T, conn *piondtls.Conn) {
	t.Helper()
	if err := conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Logf("pion Close: %v", err)
	}
}

func TestDTLSPionCloseNotifyEndsOurSession(t *testing.T) {
	p := newDTLSPeer(t, nil)
	ours, err := p.ctx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleServer, RemoteFingerprints: []dtls.Fingerprint{p.pionFP}})
	if err != nil {
		t.Fatal(err)
	}
	out := p.handshake(t, ours, func() (*piondtls.Conn, error) {
		return piondtls.ClientWithOptions(p.pionConn, p.ourConn.LocalAddr(), p.pionClientOptions(pionBothProfiles)...)
	})
	if out.pionErr != nil || out.ourErr != nil {
		t.Fatalf("pion client: %v; our server: %v", out.pionErr, out.ourErr)
	}
	dtlsClosePion(t, out.conn)
	buf := make([]byte, dtls.MaxDatagramSize)
	if err := p.ourConn.SetReadDeadline(time.Now().Add(testkit.Patient)); err != nil {
		t.Fatal(err)
	}
	n, _, err := p.ourConn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ours.HandleDatagram(buf[:n]); !errors.Is(err, dtls.ErrPeerClosed) {
		t.Fatalf("after pion's Close: %v, want ErrPeerClosed", err)
	}
	if _, err := ours.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDTLSOurCloseDuringHandshakeStopsPion: our server abandons the handshake after its flight, as a session that
// ends does; its fatal user_canceled alert ends pion's handshake at once, rather than at pion's timeout.
func TestDTLSOurCloseDuringHandshakeStopsPion(t *testing.T) {
	p := newDTLSPeer(t, nil)
	ours, err := p.ctx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleServer, RemoteFingerprints: []dtls.Fingerprint{p.pionFP}})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := piondtls.ClientWithOptions(p.pionConn, p.ourConn.LocalAddr(), p.pionClientOptions(pionBothProfiles)...)
	if err != nil {
		t.Fatal(err)
	}
	defer dtlsClosePion(t, conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pionErr := make(chan error, 1)
	go func() { pionErr <- conn.HandshakeContext(ctx) }()

	buf := make([]byte, dtls.MaxDatagramSize)
	if err := p.ourConn.SetReadDeadline(time.Now().Add(testkit.Patient)); err != nil {
		t.Fatal(err)
	}
	for answered := false; !answered; {
		n, _, err := p.ourConn.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ours.HandleDatagram(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		dtlsSend(t, p.ourConn, p.pionConn.LocalAddr(), res.Send)
		answered = len(res.Send) > 0
	}
	alert, err := ours.Close()
	if err != nil || len(alert) != 1 {
		t.Fatalf("Close during the handshake = %d datagrams, %v; want the alert", len(alert), err)
	}
	dtlsSend(t, p.ourConn, p.pionConn.LocalAddr(), alert)
	err = <-pionErr
	if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "UserCanceled") {
		t.Fatalf("pion's handshake: %v; want it ended by our user_canceled alert", err)
	}
	t.Logf("pion: %v", err)
}
