package brokertest

import (
	"fmt"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Proxy is a TCP proxy between a client and the broker that the test can cut, refuse, slow down or stall.
type Proxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu      sync.Mutex
	refuse  bool
	delay   time.Duration
	stalled chan struct{} // closed while traffic flows; a fresh open channel stalls it
	links   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// NewProxy proxies a loopback port to the broker of brokerURL until the test ends.
func NewProxy(t testing.TB, brokerURL string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return NewProxyOn(t, ln, brokerURL)
}

// NewProxyOn is NewProxy on the listener ln (a TLS listener makes the proxy terminate amqps).
func NewProxyOn(t testing.TB, ln net.Listener, brokerURL string) *Proxy {
	t.Helper()
	u, err := amqp.ParseURI(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	flowing := make(chan struct{})
	close(flowing)
	p := &Proxy{t: t, ln: ln, target: net.JoinHostPort(u.Host, fmt.Sprint(u.Port)), stalled: flowing,
		links: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.Cut()
		p.Resume()
		p.wg.Wait()
	})
	return p
}

// URL is brokerURL with the proxy's address instead of the broker's.
func (p *Proxy) URL(brokerURL string) string {
	u, err := url.Parse(brokerURL)
	if err != nil {
		p.t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			_ = c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.links[c], p.links[b] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(b, c)
		go p.pipe(c, b)
	}
}

// pipe copies src to dst, chunk by chunk, with the proxy's delay and stalls, until either side closes.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			delay, stalled := p.delay, p.stalled
			p.mu.Unlock()
			<-stalled
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Cut closes every open link and refuses new connections until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = true
	for c := range p.links {
		_ = c.Close()
	}
	clear(p.links)
}

// RefuseNew refuses new connections and leaves the open links alone.
func (p *Proxy) RefuseNew() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = true
}

// Restore accepts connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = false
}

// Slow delays every chunk by d, both ways.
func (p *Proxy) Slow(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Stall stops forwarding on open links (the peers see a silent network) until Resume.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stalled:
		p.stalled = make(chan struct{})
	default:
	}
}

// Resume forwards again what Stall held.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stalled:
	default:
		close(p.stalled)
	}
}
