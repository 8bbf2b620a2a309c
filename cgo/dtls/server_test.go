package dtls

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// readChromiumClientHello returns the two datagrams of Chromium 156's fragmented ClientHello, stored each after a
// 4-byte big-endian length.
func readChromiumClientHello(tb testing.TB) [][]byte {
	tb.Helper()
	raw, err := os.ReadFile("testdata/chromium156-dtls-clienthello.bin")
	if err != nil {
		tb.Fatal(err)
	}
	var datagrams [][]byte
	for len(raw) > 0 {
		if len(raw) < 4 {
			tb.Fatalf("truncated length prefix")
		}
		n := binary.BigEndian.Uint32(raw)
		if uint64(n) > uint64(len(raw)-4) {
			tb.Fatalf("datagram length %d beyond the file", n)
		}
		datagrams = append(datagrams, raw[4:4+n])
		raw = raw[4+n:]
	}
	return datagrams
}

// handshakeServerHello is the ServerHello's handshake message type (RFC 5246 7.4).
const handshakeServerHello = 2

func TestChromiumFragmentedClientHelloGetsServerHello(t *testing.T) {
	datagrams := readChromiumClientHello(t)
	if len(datagrams) != 2 {
		t.Fatalf("%d datagrams in the vector, want 2", len(datagrams))
	}
	c := newTestContext(t, Config{})
	// Chromium's certificate is unknown: the handshake cannot complete, but the ServerHello must come.
	server := newTestEndpoint(t, c, RoleServer, c.Fingerprint())
	res, err := server.HandleDatagram(datagrams[0])
	if err != nil || len(res.Send) != 0 {
		t.Fatalf("first fragment: %d datagrams, %v; want none and no error", len(res.Send), err)
	}
	res, err = server.HandleDatagram(datagrams[1])
	if err != nil || len(res.Send) == 0 {
		t.Fatalf("second fragment: %d datagrams, %v; want the server's flight", len(res.Send), err)
	}
	first := res.Send[0]
	if len(first) <= recordHeaderLen || first[0] != contentTypeHandshake || first[1] != 0xfe || first[2] != 0xfd ||
		first[recordHeaderLen] != handshakeServerHello {
		t.Fatalf("first datagram % x... is not a DTLS 1.2 ServerHello", first[:min(len(first), 16)])
	}
	for i, d := range res.Send {
		if len(d) > DefaultMTU {
			t.Fatalf("datagram %d has %d bytes, more than the MTU", i, len(d))
		}
	}
}

func TestSmallMTUFragmentsFlights(t *testing.T) {
	for _, mtu := range []int{DefaultMTU, 400, minMTU} {
		cfg := Config{MTU: mtu}
		client, server := newTestPair(t, newTestContext(t, cfg), newTestContext(t, cfg))
		l := &link{mtu: mtu}
		if err := handshakeInMemory(client, server, l); err != nil {
			t.Fatalf("MTU %d: %v", mtu, err)
		}
		checkKeys(t, client, server, SRTPAEADAES128GCM)
		t.Logf("MTU %d: %d datagrams to the client, %d to the server", mtu, l.sent[0], l.sent[1])
	}
}

func TestBadDatagramsAreDropped(t *testing.T) {
	c := newTestContext(t, Config{})
	client, server := newTestPair(t, c, c)
	for _, d := range [][]byte{nil, {}, make([]byte, MaxDatagramSize+1)} {
		if _, err := server.HandleDatagram(d); !errors.Is(err, ErrDatagramSize) {
			t.Fatalf("%d-byte datagram: %v, want ErrDatagramSize", len(d), err)
		}
	}
	// Garbage that is not a DTLS record is discarded by OpenSSL without failing the handshake.
	for _, d := range [][]byte{{1, 2, 3}, []byte("GET / HTTP/1.1\r\n\r\n"), make([]byte, 1500)} {
		if res, err := server.HandleDatagram(d); err != nil || len(res.Send) != 0 {
			t.Fatalf("garbage %q: %d datagrams, %v; want silence", d[:min(len(d), 8)], len(res.Send), err)
		}
	}
	if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); err != nil {
		t.Fatalf("handshake after garbage: %v", err)
	}
}

func TestAlertsDuringHandshake(t *testing.T) {
	tests := []struct {
		name    string
		alert   []byte // level, description
		wantErr error
		wantMsg string
	}{
		{"close_notify", []byte{1, 0}, ErrPeerClosed, "during the handshake"},
		{"fatal handshake_failure", []byte{2, 40}, nil, "alert handshake failure"},
	}
	c := newTestContext(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEndpoint(t, c, RoleClient, c.Fingerprint())
			if _, err := e.Start(); err != nil {
				t.Fatal(err)
			}
			// A plaintext alert record of epoch 0, sequence 0.
			record := append([]byte{21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, tt.alert...)
			_, err := e.HandleDatagram(record)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("got %v; want %v mentioning %q", err, tt.wantErr, tt.wantMsg)
			}
			if e.State() != StateFailed {
				t.Fatalf("state %s, want failed", e.State())
			}
			if send, err := e.Close(); err != nil || len(send) != 0 {
				t.Fatalf("Close = %d datagrams, %v; want nothing after a failed handshake", len(send), err)
			}
		})
	}
}

func TestCipherListHasNoWeakSuites(t *testing.T) {
	names, err := newTestContext(t, Config{}).cipherNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no cipher enabled")
	}
	for _, n := range names {
		if len(n) < 6 || n[:6] != "ECDHE-" {
			t.Errorf("cipher %s: not an ECDHE suite (NULL, anonymous, static RSA or PSK)", n)
		}
	}
	t.Logf("ciphers: %v", names)
}
