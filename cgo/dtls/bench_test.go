package dtls

import (
	"syscall"
	"testing"
	"time"
)

// benchClock reports, per operation, wall-clock throughput and the process's CPU time: on a shared machine the
// CPU time is the steadier figure (one core does 1e9/cpu-ns/op handshakes per second).
type benchClock struct {
	wall time.Time
	cpu  time.Duration
}

func startBenchClock(b *testing.B) benchClock {
	return benchClock{wall: time.Now(), cpu: processCPU(b)}
}

func (c benchClock) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/time.Since(c.wall).Seconds(), "handshakes/s")
	b.ReportMetric(float64(processCPU(b)-c.cpu)/float64(b.N), "cpu-ns/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHandshake measures complete in-memory handshakes: two endpoints created, handshaken (ECDHE P-256 and
// ECDSA both ways), keys exported, one record exchanged, both closed.
func BenchmarkHandshake(b *testing.B) {
	c := newTestContext(b, Config{})
	b.ReportAllocs()
	clock := startBenchClock(b)
	for b.Loop() {
		if err := handshakeCycle(c); err != nil {
			b.Fatal(err)
		}
	}
	clock.report(b)
}

// BenchmarkHandshakeUDP measures handshakes through the Handshake driver over loopback UDP sockets.
func BenchmarkHandshakeUDP(b *testing.B) {
	c := newTestContext(b, Config{})
	clientConn, serverConn := listenLoopback(b), listenLoopback(b)
	b.ReportAllocs()
	clock := startBenchClock(b)
	for b.Loop() {
		client, server := newBenchPair(b, c)
		errs := make(chan error, 1)
		go func() { errs <- Handshake(b.Context(), server, serverConn, clientConn.LocalAddr()) }()
		if err := Handshake(b.Context(), client, clientConn, serverConn.LocalAddr()); err != nil {
			b.Fatal(err)
		}
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		if _, err := client.Close(); err != nil {
			b.Fatal(err)
		}
		if _, err := server.Close(); err != nil {
			b.Fatal(err)
		}
	}
	clock.report(b)
}

func newBenchPair(b *testing.B, c *Context) (client, server *Endpoint) {
	client, err := c.NewEndpointWith(EndpointParams{Role: RoleClient, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
	if err != nil {
		b.Fatal(err)
	}
	server, err = c.NewEndpointWith(EndpointParams{Role: RoleServer, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
	if err != nil {
		b.Fatal(err)
	}
	return client, server
}

func BenchmarkParseFingerprint(b *testing.B) {
	c := newTestContext(b, Config{})
	text := c.Fingerprint().String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFingerprint(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticable measures the filter every datagram crosses once connected: a datagram of valid records
// passes without a copy, one with a forged record is copied without it.
func BenchmarkAuthenticable(b *testing.B) {
	valid := record(23, versionDTLS12, 1, 1100)
	forged := append(append([]byte(nil), forgedAlert...), valid...)
	for _, bb := range []struct {
		name     string
		datagram []byte
	}{{"valid", valid}, {"forged", forged}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if records, _ := authenticable(bb.datagram, 24); len(records) != len(valid) {
					b.Fatal("wrong records kept")
				}
			}
		})
	}
}
