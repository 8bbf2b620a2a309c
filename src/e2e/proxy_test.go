package e2e

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// dropProxy forwards TCP connections to a server. Drop cuts them all at once, without a websocket close frame, which
// is what the server and the browser see of a network loss.
type dropProxy struct {
	// URL is the proxy's address as the server's: http://127.0.0.1:port.
	URL    string
	target string
	ln     net.Listener
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// newDropProxy listens on a free loopback port and forwards to target (host:port) until the end of the test.
func newDropProxy(t testing.TB, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{URL: "http://" + ln.Addr().String(), target: target, ln: ln, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept(t)
	t.Cleanup(func() {
		if err := ln.Close(); err != nil {
			t.Error(err)
		}
		p.Drop()
		p.wg.Wait()
	})
	return p
}

func (p *dropProxy) accept(t testing.TB) {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("proxy accept: %v", err)
			}
			return
		}
		upstream, err := net.Dial("tcp", p.target)
		if err != nil {
			t.Errorf("proxy dial %s: %v", p.target, err)
			_ = client.Close()
			continue
		}
		p.track(client, upstream)
		p.wg.Add(2)
		go p.pipe(client, upstream)
		go p.pipe(upstream, client)
	}
}

func (p *dropProxy) track(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
}

// pipe copies from src to dst; when either side ends, both are closed.
func (p *dropProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	p.close(dst, src)
}

func (p *dropProxy) close(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		if _, ok := p.conns[c]; ok {
			_ = c.Close()
			delete(p.conns, c)
		}
	}
}

// Drop closes every connection open through the proxy and reports how many there were. New connections are
// accepted afterwards, as when the network comes back.
func (p *dropProxy) Drop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.conns)
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
	return n
}
