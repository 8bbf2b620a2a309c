package dtls

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConfigValidation(t *testing.T) {
	cert, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no certificate", Config{}},
		{"empty certificate", Config{Certificate: &Certificate{}}},
		{"MTU too small", Config{Certificate: cert, MTU: minMTU - 1}},
		{"MTU too large", Config{Certificate: cert, MTU: maxMTU + 1}},
		{"negative handshake timeout", Config{Certificate: cert, HandshakeTimeout: -time.Second}},
		{"retransmit too short", Config{Certificate: cert, RetransmitTimeout: time.Microsecond}},
		{"retransmit too long", Config{Certificate: cert, RetransmitTimeout: 2 * time.Minute}},
		{"unknown SRTP profile", Config{Certificate: cert, SRTPProfiles: []SRTPProfile{0x0002}}},
		{"duplicate SRTP profile", Config{Certificate: cert, SRTPProfiles: []SRTPProfile{SRTPAEADAES128GCM, SRTPAEADAES128GCM}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewContextWith(tt.cfg)
			if !errors.Is(err, ErrBadConfig) || c != nil {
				t.Fatalf("got %v, %v; want ErrBadConfig", c, err)
			}
		})
	}
}

func TestEndpointParamsValidation(t *testing.T) {
	c := newTestContext(t, Config{})
	good := c.Fingerprint()
	tests := []struct {
		name string
		p    EndpointParams
		want error
	}{
		{"no role", EndpointParams{RemoteFingerprints: []Fingerprint{good}}, ErrBadConfig},
		{"unknown role", EndpointParams{Role: 7, RemoteFingerprints: []Fingerprint{good}}, ErrBadConfig},
		{"no fingerprint", EndpointParams{Role: RoleServer}, ErrBadConfig},
		{"short digest", EndpointParams{Role: RoleServer, RemoteFingerprints: []Fingerprint{{Hash: SHA256, Digest: good.Digest[:31]}}}, ErrBadConfig},
		{"unknown hash", EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{{Hash: 5, Digest: good.Digest}}}, ErrBadConfig},
		{"one malformed among good ones", EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{good, {Hash: SHA1, Digest: good.Digest}, good}}, ErrBadConfig},
		{"empty list", EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{}}, ErrBadConfig},
		{"too many", EndpointParams{Role: RoleClient, RemoteFingerprints: slices.Repeat([]Fingerprint{good}, MaxRemoteFingerprints+1)}, ErrBadConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := c.NewEndpointWith(tt.p)
			if !errors.Is(err, tt.want) || e != nil {
				t.Fatalf("got %v, %v; want %v", e, err, tt.want)
			}
		})
	}
}

func TestCallsOutOfOrder(t *testing.T) {
	c := newTestContext(t, Config{})
	client, server := newTestPair(t, c, c)
	if _, err := client.SRTPKeys(); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("SRTPKeys before the handshake: %v", err)
	}
	if _, err := client.Write([]byte("x")); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Write before the handshake: %v", err)
	}
	if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); err != nil {
		t.Fatal(err)
	}
	if send, err := client.Start(); err != nil || len(send) != 0 {
		t.Fatalf("Start on a connected endpoint = %d datagrams, %v; want nothing", len(send), err)
	}
	for _, n := range []int{0, DefaultMTU} {
		if _, err := client.Write(make([]byte, n)); err == nil {
			t.Fatalf("Write of %d bytes succeeded", n)
		}
	}
	// Closing a handshaking endpoint abandons the handshake (TestCloseDuringHandshake).
	half := newTestEndpoint(t, c, RoleClient, c.Fingerprint())
	if _, err := half.Start(); err != nil {
		t.Fatal(err)
	}
	if send, err := half.Close(); err != nil || len(send) != 1 {
		t.Fatalf("Close while handshaking = %d datagrams, %v; want the abandoning alerts", len(send), err)
	}
	for name, call := range map[string]func() error{
		"Start":          func() error { _, err := half.Start(); return err },
		"HandleDatagram": func() error { _, err := half.HandleDatagram([]byte{1}); return err },
		"HandleTimeout":  func() error { _, err := half.HandleTimeout(); return err },
		"SRTPKeys":       func() error { _, err := half.SRTPKeys(); return err },
		"Write":          func() error { _, err := half.Write([]byte{1}); return err },
	} {
		if err := call(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if send, err := half.Close(); err != nil || len(send) != 0 {
		t.Fatalf("second Close = %d datagrams, %v", len(send), err)
	}
}

func TestContextClose(t *testing.T) {
	c := newTestContext(t, Config{})
	other := newTestContext(t, Config{})
	client, server := newTestPair(t, c, other)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.NewEndpointWith(EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{other.Fingerprint()}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewEndpoint after Close: %v", err)
	}
	// Endpoints hold their own reference to the OpenSSL context.
	if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); err != nil {
		t.Fatalf("handshake after Context.Close: %v", err)
	}
}

func TestConcurrentEndpoints(t *testing.T) {
	c := newTestContext(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range cap(errs) {
		wg.Go(func() {
			client, err := c.NewEndpointWith(EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
			if err != nil {
				errs <- err
				return
			}
			server, err := c.NewEndpointWith(EndpointParams{Role: RoleServer, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
			if err != nil {
				errs <- err
				return
			}
			err = handshakeInMemory(client, server, &link{mtu: DefaultMTU})
			_, cErr := client.Close()
			_, sErr := server.Close()
			errs <- errors.Join(err, cErr, sErr)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestSRTPKeysAreNeverPrinted(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, 16)
	k := SRTPKeys{Profile: SRTPAEADAES128GCM, LocalKey: key, LocalSalt: key[:12], RemoteKey: key, RemoteSalt: key[:12]}
	var logged bytes.Buffer
	// Without the time: its digits could hold "171", the decimal form of a key byte looked for below.
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	slog.New(slog.NewJSONHandler(&logged, noTime)).Info("keys", "keys", k, "ptr", &k)
	slog.New(slog.NewTextHandler(&logged, noTime)).Info("keys", "keys", k)
	outputs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k))
	}
	for _, out := range outputs {
		lower := strings.ToLower(out)
		if strings.Contains(lower, "abab") || strings.Contains(lower, "171") || strings.Contains(out, "q6ur") {
			t.Fatalf("key material printed: %s", out)
		}
		if !strings.Contains(out, "SRTP_AEAD_AES_128_GCM") {
			t.Fatalf("profile missing from %s", out)
		}
	}
	cert, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	keyHex := hex.EncodeToString(cert.keyPKCS8[len(cert.keyPKCS8)-8:])
	for _, out := range []string{fmt.Sprintf("%v", cert), fmt.Sprintf("%+v", cert), fmt.Sprintf("%#v", cert)} {
		if strings.Contains(out, keyHex) || strings.Contains(out, "keyPKCS8") {
			t.Fatalf("certificate key printed: %s", out)
		}
	}
}

func TestSRTPKeysWipeAndCopy(t *testing.T) {
	c := newTestContext(t, Config{})
	client, server := newTestPair(t, c, c)
	if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); err != nil {
		t.Fatal(err)
	}
	k, err := client.SRTPKeys()
	if err != nil {
		t.Fatal(err)
	}
	k.Wipe()
	if !bytes.Equal(k.LocalKey, make([]byte, len(k.LocalKey))) {
		t.Fatal("Wipe left key bytes")
	}
	again, err := client.SRTPKeys()
	if err != nil || bytes.Equal(again.LocalKey, k.LocalKey) {
		t.Fatalf("wiping a copy changed the endpoint's keys (%v)", err)
	}
}

// recordingHandler keeps the messages logged to it.
type recordingHandler struct {
	mu       sync.Mutex
	messages []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.messages = append(h.messages, r.Message)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) count(substr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.messages {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestForgottenEndpointIsFreedAndLogged(t *testing.T) {
	h := &recordingHandler{}
	c := newTestContext(t, Config{Logger: slog.New(h)})
	func() {
		e, err := c.NewEndpointWith(EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Start(); err != nil {
			t.Fatal(err)
		}
	}()
	closed := newTestEndpoint(t, c, RoleServer, c.Fingerprint())
	if _, err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	// Cleanups run after a collection, on a goroutine of their own: a bound for a broken cleanup, not a speed.
	deadline := time.Now().Add(time.Minute)
	for h.count("without Close") == 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.count("without Close"); n != 1 {
		t.Fatalf("%d leak reports, want 1 (the forgotten endpoint, not the closed one)", n)
	}
}
