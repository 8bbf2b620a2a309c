package dtls

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

func listenLoopback(tb testing.TB) net.PacketConn {
	tb.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := conn.Close(); err != nil {
			tb.Error(err)
		}
	})
	return conn
}

// lossyConn loses the datagrams whose write number (from 1) drop selects, and checks the MTU of every datagram.
type lossyConn struct {
	net.PacketConn
	mtu  int
	drop func(n int) bool

	mu      sync.Mutex
	writes  int
	dropped int
}

func (c *lossyConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	c.writes++
	lose := c.drop != nil && c.drop(c.writes)
	if lose {
		c.dropped++
	}
	c.mu.Unlock()
	if len(p) > c.mtu {
		return 0, errors.New("datagram larger than the MTU")
	}
	if lose {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

func (c *lossyConn) counts() (writes, dropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes, c.dropped
}

// handshakeUDP runs Handshake for both endpoints at once over two loopback sockets.
func handshakeUDP(t *testing.T, client, server *Endpoint, clientConn, serverConn net.PacketConn) (clientErr, serverErr error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make(chan error, 1)
	go func() {
		errs <- Handshake(ctx, server, serverConn, clientConn.LocalAddr())
	}()
	clientErr = Handshake(ctx, client, clientConn, serverConn.LocalAddr())
	return clientErr, <-errs
}

func TestHandshakeOverUDP(t *testing.T) {
	gcm, cm := SRTPAEADAES128GCM, SRTPAES128CMHMACSHA1_80
	for _, want := range []SRTPProfile{gcm, cm} {
		t.Run(want.String(), func(t *testing.T) {
			clientCtx := newTestContext(t, Config{})
			serverCtx := newTestContext(t, Config{SRTPProfiles: []SRTPProfile{want}})
			client, server := newTestPair(t, clientCtx, serverCtx)
			clientConn := &lossyConn{PacketConn: listenLoopback(t), mtu: DefaultMTU}
			serverConn := &lossyConn{PacketConn: listenLoopback(t), mtu: DefaultMTU}
			if cErr, sErr := handshakeUDP(t, client, server, clientConn, serverConn); cErr != nil || sErr != nil {
				t.Fatalf("client: %v; server: %v", cErr, sErr)
			}
			checkKeys(t, client, server, want)
		})
	}
}

func TestHandshakeOverUDPWithLostFlight(t *testing.T) {
	cfg := Config{RetransmitTimeout: 100 * time.Millisecond}
	client, server := newTestPair(t, newTestContext(t, cfg), newTestContext(t, cfg))
	clientConn := &lossyConn{PacketConn: listenLoopback(t), mtu: DefaultMTU}
	// The server's first datagram is its whole first flight (ServerHello ... ServerHelloDone).
	serverConn := &lossyConn{PacketConn: listenLoopback(t), mtu: DefaultMTU, drop: func(n int) bool { return n == 1 }}
	if cErr, sErr := handshakeUDP(t, client, server, clientConn, serverConn); cErr != nil || sErr != nil {
		t.Fatalf("client: %v; server: %v", cErr, sErr)
	}
	checkKeys(t, client, server, SRTPAEADAES128GCM)
	writes, dropped := serverConn.counts()
	if dropped != 1 || writes < 3 {
		t.Fatalf("server wrote %d datagrams, %d dropped; want a retransmission after the loss", writes, dropped)
	}
}

func TestHandshakeOverUDPRejectsWrongFingerprint(t *testing.T) {
	clientCtx, serverCtx, stranger := newTestContext(t, Config{}), newTestContext(t, Config{}), newTestContext(t, Config{})
	client := newTestEndpoint(t, clientCtx, RoleClient, serverCtx.Fingerprint())
	server := newTestEndpoint(t, serverCtx, RoleServer, stranger.Fingerprint())
	cErr, sErr := handshakeUDP(t, client, server, listenLoopback(t), listenLoopback(t))
	if !errors.Is(sErr, ErrFingerprintMismatch) {
		t.Fatalf("server: %v, want ErrFingerprintMismatch", sErr)
	}
	if cErr == nil || client.State() != StateFailed {
		t.Fatalf("client: %v in state %s, want failed by the server's alert", cErr, client.State())
	}
}

func TestHandshakeDriverStopsWithContext(t *testing.T) {
	c := newTestContext(t, Config{})
	server := newTestEndpoint(t, c, RoleServer, c.Fingerprint())
	conn, silent := listenLoopback(t), listenLoopback(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Handshake(ctx, server, conn, silent.LocalAddr()) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Handshake after cancel: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Handshake did not return after its context was cancelled")
	}
	if err := Handshake(context.Background(), nil, conn, silent.LocalAddr()); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("nil endpoint: %v", err)
	}
}

func TestHandshakeDriverIgnoresStrangers(t *testing.T) {
	c := newTestContext(t, Config{})
	client, server := newTestPair(t, c, c)
	clientConn, serverConn, stranger := listenLoopback(t), listenLoopback(t), listenLoopback(t)
	// A datagram from another address reaches the server first; it must not disturb the handshake.
	if _, err := stranger.WriteTo([]byte{22, 0xfe, 0xfd, 0, 0}, serverConn.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if cErr, sErr := handshakeUDP(t, client, server, clientConn, serverConn); cErr != nil || sErr != nil {
		t.Fatalf("client: %v; server: %v", cErr, sErr)
	}
}
