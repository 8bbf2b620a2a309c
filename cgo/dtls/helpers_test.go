package dtls

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// newTestContext returns a Context built from cfg, with a fresh certificate when cfg has none.
func newTestContext(tb testing.TB, cfg Config) *Context {
	tb.Helper()
	if cfg.Certificate == nil {
		cert, err := NewCertificate()
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Certificate = cert
	}
	c, err := NewContextWith(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Error(err)
		}
	})
	return c
}

// newTestEndpoint returns an Endpoint of c that Close releases at the end of the test.
func newTestEndpoint(tb testing.TB, c *Context, role Role, remote Fingerprint) *Endpoint {
	tb.Helper()
	e, err := c.NewEndpointWith(EndpointParams{Role: role, RemoteFingerprints: []Fingerprint{remote}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := e.Close(); err != nil {
			tb.Error(err)
		}
	})
	return e
}

// newTestPair returns a client of clientCtx and a server of serverCtx that expect each other's certificate.
func newTestPair(tb testing.TB, clientCtx, serverCtx *Context) (client, server *Endpoint) {
	tb.Helper()
	return newTestEndpoint(tb, clientCtx, RoleClient, serverCtx.Fingerprint()),
		newTestEndpoint(tb, serverCtx, RoleServer, clientCtx.Fingerprint())
}

// link carries datagrams between two endpoints in memory. drop, when set, decides which datagrams are lost.
type link struct {
	mtu      int
	drop     func(toServer bool, n int) bool
	sent     [2]int // datagrams offered to the link, to the client [0] and to the server [1]
	toClient [][]byte
	toServer [][]byte
}

func (l *link) push(toServer bool, datagrams [][]byte) error {
	for _, d := range datagrams {
		if l.mtu > 0 && len(d) > l.mtu {
			return fmt.Errorf("datagram of %d bytes exceeds the MTU %d", len(d), l.mtu)
		}
		i := 0
		if toServer {
			i = 1
		}
		l.sent[i]++
		if l.drop != nil && l.drop(toServer, l.sent[i]) {
			continue
		}
		if toServer {
			l.toServer = append(l.toServer, d)
		} else {
			l.toClient = append(l.toClient, d)
		}
	}
	return nil
}

// deliver feeds every queued datagram to its endpoint, collecting their answers.
func (l *link) deliver(client, server *Endpoint) error {
	for len(l.toServer) > 0 || len(l.toClient) > 0 {
		queue, to, toServer := l.toServer, server, true
		l.toServer = nil
		if len(queue) == 0 {
			queue, to, toServer = l.toClient, client, false
			l.toClient = nil
		}
		for _, d := range queue {
			res, err := to.HandleDatagram(d)
			if pushErr := l.push(!toServer, res.Send); pushErr != nil {
				return pushErr
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// handshakeInMemory runs a handshake over l, handling timers as they fire, until both ends are connected.
func handshakeInMemory(client, server *Endpoint, l *link) error {
	if _, err := server.Start(); err != nil {
		return err
	}
	send, err := client.Start()
	if err := errors.Join(err, l.push(true, send)); err != nil {
		return err
	}
	for range 20 {
		if err := l.deliver(client, server); err != nil {
			return err
		}
		if client.State() == StateConnected && server.State() == StateConnected {
			return nil
		}
		if err := waitAndRetransmit(client, server, l); err != nil {
			return err
		}
	}
	return fmt.Errorf("no handshake after 20 timer rounds: client %s, server %s", client.State(), server.State())
}

// waitAndRetransmit sleeps until the earliest timer of the two endpoints, then handles it.
func waitAndRetransmit(client, server *Endpoint, l *link) error {
	var next *Endpoint
	var at time.Time
	for _, e := range []*Endpoint{client, server} {
		if t, ok := e.NextTimeout(); ok && (next == nil || t.Before(at)) {
			next, at = e, t
		}
	}
	if next == nil {
		return errors.New("handshake stalled with no timer running")
	}
	// The timer is the condition: nothing can happen before it fires.
	time.Sleep(time.Until(at))
	send, err := next.HandleTimeout()
	return errors.Join(err, l.push(next == client, send))
}
