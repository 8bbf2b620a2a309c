package dtls

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestLostFlightIsRetransmitted(t *testing.T) {
	tests := []struct {
		name     string
		toServer bool // direction of the lost datagram
		nth      int  // which datagram in that direction is lost
	}{
		{"ClientHello lost", true, 1},
		{"server's first flight lost", false, 1},
		{"client's second flight lost", true, 2},
		{"server's last flight lost", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{RetransmitTimeout: 20 * time.Millisecond}
			client, server := newTestPair(t, newTestContext(t, cfg), newTestContext(t, cfg))
			dropped := 0
			l := &link{mtu: DefaultMTU, drop: func(toServer bool, n int) bool {
				if toServer == tt.toServer && n == tt.nth {
					dropped++
					return true
				}
				return false
			}}
			if err := handshakeInMemory(client, server, l); err != nil {
				t.Fatal(err)
			}
			if dropped != 1 {
				t.Fatalf("%d datagrams dropped, want 1", dropped)
			}
			checkKeys(t, client, server, SRTPAEADAES128GCM)
		})
	}
}

func TestHandleTimeoutRetransmitsOnlyWhenDue(t *testing.T) {
	// A timer of a second: a call right after Start is early however busy the machine is, short of a stall of
	// most of that second (and then the call is due, and its retransmission allowed).
	cfg := Config{RetransmitTimeout: time.Second}
	client, _ := newTestPair(t, newTestContext(t, cfg), newTestContext(t, cfg))
	hello, err := client.Start()
	if err != nil || len(hello) == 0 {
		t.Fatalf("Start = %d datagrams, %v", len(hello), err)
	}
	at, ok := client.NextTimeout()
	if !ok || time.Until(at) > cfg.RetransmitTimeout {
		t.Fatalf("NextTimeout = %v in %v, want a timer within %v", ok, time.Until(at), cfg.RetransmitTimeout)
	}
	early, err := client.HandleTimeout()
	// OpenSSL counts a timer with less than 15 ms left as expired.
	if left := time.Until(at); err != nil || (len(early) != 0 && left > 20*time.Millisecond) {
		t.Fatalf("HandleTimeout %v before the timer = %d datagrams, %v; want none", left, len(early), err)
	}
	at, _ = client.NextTimeout()
	time.Sleep(time.Until(at)) // the timer is the condition
	again, err := client.HandleTimeout()
	if err != nil || len(again) != len(hello) {
		t.Fatalf("HandleTimeout when due = %d datagrams, %v; want the %d of the first flight", len(again), err, len(hello))
	}
	// The record sequence number (bytes 5..10) changes, the handshake message does not.
	if bytes.Equal(again[0], hello[0]) || !bytes.Equal(again[0][13:], hello[0][13:]) {
		t.Fatal("retransmission is not the same ClientHello in a new record")
	}
	next, ok := client.NextTimeout()
	if !ok || !next.After(at.Add(cfg.RetransmitTimeout)) {
		t.Fatalf("timer after one retransmission at %v, want doubled (after %v)", next, at.Add(cfg.RetransmitTimeout))
	}
}

func TestHandshakeTimeout(t *testing.T) {
	cfg := Config{HandshakeTimeout: 50 * time.Millisecond, RetransmitTimeout: 20 * time.Millisecond}
	client, _ := newTestPair(t, newTestContext(t, cfg), newTestContext(t, cfg))
	if _, err := client.Start(); err != nil {
		t.Fatal(err)
	}
	// Each turn sleeps until the next timer, never past the handshake deadline: the loop ends a few turns after
	// it. Its own bound is for a broken endpoint, not a speed.
	deadline := time.Now().Add(time.Minute)
	for client.State() == StateHandshaking && time.Now().Before(deadline) {
		at, ok := client.NextTimeout()
		if !ok {
			t.Fatal("no timer during the handshake")
		}
		time.Sleep(time.Until(at))
		if _, err := client.HandleTimeout(); err != nil && !errors.Is(err, ErrHandshakeTimeout) {
			t.Fatalf("HandleTimeout: %v", err)
		}
	}
	if client.State() != StateFailed {
		t.Fatalf("state %s after the handshake timeout, want failed", client.State())
	}
	if _, err := client.HandleDatagram([]byte{22}); !errors.Is(err, ErrHandshakeTimeout) {
		t.Fatalf("HandleDatagram after the timeout: %v, want ErrHandshakeTimeout", err)
	}
	if _, ok := client.NextTimeout(); ok {
		t.Fatal("a timer still runs on a failed endpoint")
	}
}

func TestNoTimerBeforeStart(t *testing.T) {
	c := newTestContext(t, Config{})
	e := newTestEndpoint(t, c, RoleServer, c.Fingerprint())
	if _, ok := e.NextTimeout(); ok {
		t.Fatal("timer before Start")
	}
	if send, err := e.HandleTimeout(); err != nil || len(send) != 0 {
		t.Fatalf("HandleTimeout before Start = %d datagrams, %v", len(send), err)
	}
	before := time.Now()
	if send, err := e.Start(); err != nil || len(send) != 0 {
		t.Fatalf("server Start = %d datagrams, %v; want none", len(send), err)
	}
	after := time.Now()
	// A server waits for its peer: its only timer is the handshake deadline, DefaultHandshakeTimeout after Start.
	at, ok := e.NextTimeout()
	if !ok || at.Before(before.Add(DefaultHandshakeTimeout)) || at.After(after.Add(DefaultHandshakeTimeout)) {
		t.Fatalf("server timer %v in %v, want the handshake deadline (%v after Start)", ok, time.Until(at),
			DefaultHandshakeTimeout)
	}
}
