package dtls

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHandshakeInMemory(t *testing.T) {
	gcm, cm := SRTPAEADAES128GCM, SRTPAES128CMHMACSHA1_80
	tests := []struct {
		name           string
		client, server []SRTPProfile
		want           SRTPProfile
	}{
		{"defaults prefer GCM", nil, nil, gcm},
		{"server prefers CM", nil, []SRTPProfile{cm, gcm}, cm},
		{"client offers CM only", []SRTPProfile{cm}, nil, cm},
		{"server accepts CM only", nil, []SRTPProfile{cm}, cm},
		{"GCM only", []SRTPProfile{gcm}, []SRTPProfile{gcm}, gcm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientCtx := newTestContext(t, Config{SRTPProfiles: tt.client})
			serverCtx := newTestContext(t, Config{SRTPProfiles: tt.server})
			client, server := newTestPair(t, clientCtx, serverCtx)
			l := &link{mtu: DefaultMTU}
			if err := handshakeInMemory(client, server, l); err != nil {
				t.Fatal(err)
			}
			checkKeys(t, client, server, tt.want)
		})
	}
}

// checkKeys checks that both ends agree on the profile and that each one's local keys are the other's remote keys.
func checkKeys(t *testing.T, client, server *Endpoint, want SRTPProfile) {
	t.Helper()
	ck, err := client.SRTPKeys()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := server.SRTPKeys()
	if err != nil {
		t.Fatal(err)
	}
	if ck.Profile != want || sk.Profile != want {
		t.Fatalf("profiles client %s, server %s; want %s", ck.Profile, sk.Profile, want)
	}
	if len(ck.LocalKey) != want.KeyLen() || len(ck.LocalSalt) != want.SaltLen() ||
		len(sk.LocalKey) != want.KeyLen() || len(sk.LocalSalt) != want.SaltLen() {
		t.Fatalf("key lengths %d/%d and %d/%d, want %d/%d", len(ck.LocalKey), len(ck.LocalSalt),
			len(sk.LocalKey), len(sk.LocalSalt), want.KeyLen(), want.SaltLen())
	}
	if !bytes.Equal(ck.LocalKey, sk.RemoteKey) || !bytes.Equal(ck.LocalSalt, sk.RemoteSalt) ||
		!bytes.Equal(ck.RemoteKey, sk.LocalKey) || !bytes.Equal(ck.RemoteSalt, sk.LocalSalt) {
		t.Fatal("client and server keys do not mirror each other")
	}
	if bytes.Equal(ck.LocalKey, ck.RemoteKey) || bytes.Equal(ck.LocalKey, make([]byte, len(ck.LocalKey))) {
		t.Fatal("keys are degenerate (equal or zero)")
	}
}

func TestApplicationDataAndCloseNotify(t *testing.T) {
	clientCtx, serverCtx := newTestContext(t, Config{}), newTestContext(t, Config{})
	client, server := newTestPair(t, clientCtx, serverCtx)
	if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []struct {
		name     string
		from, to *Endpoint
	}{{"client to server", client, server}, {"server to client", server, client}} {
		msg := []byte("hello " + dir.name)
		send, err := dir.from.Write(msg)
		if err != nil || len(send) != 1 {
			t.Fatalf("%s: Write = %d datagrams, %v", dir.name, len(send), err)
		}
		res, err := dir.to.HandleDatagram(send[0])
		if err != nil || len(res.Data) != 1 || !bytes.Equal(res.Data[0], msg) {
			t.Fatalf("%s: got %q, %v; want %q", dir.name, res.Data, err, msg)
		}
	}

	closeNotify, err := client.Close()
	if err != nil || len(closeNotify) == 0 {
		t.Fatalf("client Close = %d datagrams, %v; want close_notify", len(closeNotify), err)
	}
	if _, err := server.HandleDatagram(closeNotify[0]); !errors.Is(err, ErrPeerClosed) {
		t.Fatalf("server after close_notify: %v, want ErrPeerClosed", err)
	}
	if got := server.State(); got != StatePeerClosed {
		t.Fatalf("server state %s, want %s", got, StatePeerClosed)
	}
	if _, err := server.HandleDatagram(closeNotify[0]); !errors.Is(err, ErrPeerClosed) {
		t.Fatalf("server after close_notify, again: %v, want ErrPeerClosed", err)
	}
	answer, err := server.Close()
	if err != nil || len(answer) == 0 {
		t.Fatalf("server Close = %d datagrams, %v; want its close_notify", len(answer), err)
	}
	if _, err := client.HandleDatagram(answer[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed client: %v, want ErrClosed", err)
	}
}

func TestWrongFingerprintFailsHandshake(t *testing.T) {
	clientCtx, serverCtx, otherCtx := newTestContext(t, Config{}), newTestContext(t, Config{}), newTestContext(t, Config{})
	tests := []struct {
		name            string
		clientExpects   Fingerprint
		serverExpects   Fingerprint
		rejectingServer bool
	}{
		{"client rejects server", otherCtx.Fingerprint(), clientCtx.Fingerprint(), false},
		{"server rejects client", serverCtx.Fingerprint(), otherCtx.Fingerprint(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := newTestEndpoint(t, clientCtx, RoleClient, tt.clientExpects)
			server := newTestEndpoint(t, serverCtx, RoleServer, tt.serverExpects)
			l := &link{mtu: DefaultMTU}
			if err := handshakeInMemory(client, server, l); err == nil {
				t.Fatal("handshake succeeded with a wrong fingerprint")
			}
			rejecting, rejected := client, server
			if tt.rejectingServer {
				rejecting, rejected = server, client
			}
			_, rejectErr := rejecting.SRTPKeys()
			if !errors.Is(rejectErr, ErrFingerprintMismatch) || rejecting.State() != StateFailed {
				t.Fatalf("rejecting side: state %s, error %v; want failed with ErrFingerprintMismatch",
					rejecting.State(), rejectErr)
			}
			var sslErr *OpenSSLError
			if !errors.As(rejectErr, &sslErr) || !strings.Contains(sslErr.Message, "certificate verify failed") {
				t.Fatalf("rejecting side error %v does not carry OpenSSL's message", rejectErr)
			}
			// The alert the rejecting side sent makes the other side fail too, with OpenSSL's text for it.
			peerErr := l.deliver(client, server)
			if rejected.State() != StateFailed || peerErr == nil || !strings.Contains(peerErr.Error(), "bad certificate") {
				t.Fatalf("rejected side: state %s, error %v; want failed by a bad_certificate alert",
					rejected.State(), peerErr)
			}
			t.Logf("rejecting side: %v; rejected side: %v", rejectErr, peerErr)
		})
	}
}

func TestFingerprintHashes(t *testing.T) {
	cert, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	serverCtx := newTestContext(t, Config{Certificate: cert})
	clientCtx := newTestContext(t, Config{})
	for _, h := range []Hash{SHA1, SHA256, SHA384, SHA512} {
		t.Run(h.String(), func(t *testing.T) {
			fp, err := ComputeFingerprint(h, cert.DER())
			if err != nil {
				t.Fatal(err)
			}
			client := newTestEndpoint(t, clientCtx, RoleClient, fp)
			server := newTestEndpoint(t, serverCtx, RoleServer, clientCtx.Fingerprint())
			if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); err != nil {
				t.Fatal(err)
			}
			// The same hash with one bit flipped must fail.
			fp.Digest[len(fp.Digest)-1] ^= 1
			client = newTestEndpoint(t, clientCtx, RoleClient, fp)
			server = newTestEndpoint(t, serverCtx, RoleServer, clientCtx.Fingerprint())
			if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); !errors.Is(err, ErrFingerprintMismatch) {
				t.Fatalf("flipped %s digest: %v, want ErrFingerprintMismatch", h, err)
			}
		})
	}
}

func TestSeveralRemoteFingerprints(t *testing.T) {
	cert, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	fp := func(h Hash, c *Certificate) Fingerprint {
		f, err := ComputeFingerprint(h, c.DER())
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	serverCtx := newTestContext(t, Config{Certificate: cert})
	clientCtx := newTestContext(t, Config{})
	tests := []struct {
		name  string
		fps   []Fingerprint
		match bool
	}{
		{"its fingerprint second", []Fingerprint{fp(SHA256, other), fp(SHA256, cert)}, true},
		{"its fingerprint first", []Fingerprint{fp(SHA256, cert), fp(SHA256, other)}, true},
		{"two hashes of it", []Fingerprint{fp(SHA1, cert), fp(SHA512, cert)}, true},
		{"every hash of it and another", []Fingerprint{fp(SHA1, cert), fp(SHA256, other), fp(SHA384, cert), fp(SHA512, other), fp(SHA512, cert)}, true},
		{"only others", []Fingerprint{fp(SHA256, other), fp(SHA512, other)}, false},
		// RFC 8122 5: only the most preferred hash counts, so a weaker one cannot stand in for it.
		{"its SHA-1 beside another's SHA-256", []Fingerprint{fp(SHA1, cert), fp(SHA256, other)}, false},
		{"its SHA-256 beside another's SHA-384", []Fingerprint{fp(SHA256, cert), fp(SHA384, other)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := clientCtx.NewEndpointWith(EndpointParams{Role: RoleClient, RemoteFingerprints: tt.fps})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = client.Close() })
			server := newTestEndpoint(t, serverCtx, RoleServer, clientCtx.Fingerprint())
			err = handshakeInMemory(client, server, &link{mtu: DefaultMTU})
			if tt.match && err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if !tt.match && !errors.Is(err, ErrFingerprintMismatch) {
				t.Fatalf("handshake: %v, want ErrFingerprintMismatch", err)
			}
		})
	}
}

// feed gives datagrams to e, which must take them without error, and returns its answers.
func feed(t *testing.T, e *Endpoint, datagrams [][]byte) [][]byte {
	t.Helper()
	var answers [][]byte
	for _, d := range datagrams {
		res, err := e.HandleDatagram(d)
		if err != nil {
			t.Fatalf("%s: %v", e.role, err)
		}
		answers = append(answers, res.Send...)
	}
	return answers
}

// checkAbandoned checks that alerts is a fatal user_canceled alert in epoch 0, after the records of sent, and that
// it ends peer's handshake at once, without an answer.
func checkAbandoned(t *testing.T, alerts, sent [][]byte, peer *Endpoint) {
	t.Helper()
	if len(alerts) != 1 {
		t.Fatalf("%d datagrams, want the alert", len(alerts))
	}
	var last uint64
	for _, d := range sent {
		for h, ok := parseRecordHeader(d); ok; h, ok = parseRecordHeader(d) {
			last = max(last, h.seq)
			d = d[recordHeaderLen+h.length:]
		}
	}
	d := alerts[0]
	h, ok := parseRecordHeader(d)
	if !ok || h.contentType != contentTypeAlert || h.epoch != 0 || h.seq != last+1 || len(d) != recordHeaderLen+2 ||
		!bytes.Equal(d[recordHeaderLen:], []byte{alertLevelFatal, alertUserCanceled}) {
		t.Fatalf("% x, want a fatal user_canceled alert in epoch 0, sequence %d", d, last+1)
	}
	res, err := peer.HandleDatagram(d)
	if err == nil || !strings.Contains(err.Error(), "alert user cancelled") || peer.State() != StateFailed || len(res.Send) != 0 {
		t.Fatalf("peer: %v, state %s, %d datagrams; want its handshake failed by user_canceled, no answer",
			err, peer.State(), len(res.Send))
	}
}

func TestCloseDuringHandshake(t *testing.T) {
	c := newTestContext(t, Config{})
	t.Run("client after its ClientHello", func(t *testing.T) {
		client, server := newTestPair(t, c, c)
		hello, err := client.Start()
		if err != nil {
			t.Fatal(err)
		}
		feed(t, server, hello)
		alerts, err := client.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkAbandoned(t, alerts, hello, server)
	})
	t.Run("server after its flight", func(t *testing.T) {
		client, server := newTestPair(t, c, c)
		hello, err := client.Start()
		if err != nil {
			t.Fatal(err)
		}
		flight := feed(t, server, hello)
		feed(t, client, flight) // the client sends its last flight, which the server never reads
		alerts, err := server.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkAbandoned(t, alerts, flight, client)
	})
	t.Run("client after its ChangeCipherSpec", func(t *testing.T) {
		client, server := newTestPair(t, c, c)
		hello, err := client.Start()
		if err != nil {
			t.Fatal(err)
		}
		last := feed(t, client, feed(t, server, hello))
		if len(last) == 0 || client.State() != StateHandshaking {
			t.Fatalf("client state %s after sending %d datagrams", client.State(), len(last))
		}
		// Its alerts would have to be encrypted, and OpenSSL cannot send them yet.
		if send, err := client.Close(); err != nil || len(send) != 0 {
			t.Fatalf("Close = %d datagrams, %v; want nothing", len(send), err)
		}
	})
	t.Run("server at its deadline", func(t *testing.T) {
		// The deadline runs from the server's first datagram: long enough that feeding it is never late.
		short := newTestContext(t, Config{HandshakeTimeout: 500 * time.Millisecond, RetransmitTimeout: 5 * time.Second})
		client := newTestEndpoint(t, c, RoleClient, short.Fingerprint())
		server := newTestEndpoint(t, short, RoleServer, c.Fingerprint())
		hello, err := client.Start()
		if err != nil {
			t.Fatal(err)
		}
		flight := feed(t, server, hello)
		at, ok := server.NextTimeout()
		if !ok {
			t.Fatal("no deadline")
		}
		time.Sleep(time.Until(at)) // the deadline is the condition
		alerts, err := server.HandleTimeout()
		if !errors.Is(err, ErrHandshakeTimeout) {
			t.Fatalf("HandleTimeout at the deadline: %v", err)
		}
		checkAbandoned(t, alerts, flight, client)
	})
}
