package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// liveEvents binds a fresh queue to live_events and returns the messages of room as they arrive.
func liveEvents(t *testing.T, url, room string) <-chan amqp.Delivery {
	t.Helper()
	ch := brokertest.Channel(t, url)
	if err := ch.ExchangeDeclare(bus.ExchangeLiveEvents, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, "room.*", bus.ExchangeLiveEvents, false, nil); err != nil {
		t.Fatal(err)
	}
	deliveries, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan amqp.Delivery, 64)
	go func() {
		defer close(out)
		for d := range deliveries {
			var ev struct{ RoomID string }
			if json.Unmarshal(d.Body, &ev) == nil && ev.RoomID == room {
				out <- d
			}
		}
	}()
	t.Cleanup(func() {
		_, _ = ch.QueueDelete(q.Name, false, false, false)
		// Other servers may use live_events: delete it only when nothing is bound to it any more.
		_ = ch.ExchangeDelete(bus.ExchangeLiveEvents, true, false)
	})
	return out
}

func nextEvent(t *testing.T, events <-chan amqp.Delivery, key string) map[string]any {
	t.Helper()
	deadline := time.After(testkit.Patient)
	for {
		select {
		case d, ok := <-events:
			if !ok {
				t.Fatal("consumer ended")
			}
			// The server's first room.live pass runs once at start, whenever its goroutine gets a CPU: on a busy
			// machine, after the join. A snapshot is not what the caller waits for.
			if d.RoutingKey == bus.KeyRoomLive && key != bus.KeyRoomLive {
				continue
			}
			var fields map[string]any
			if err := json.Unmarshal(d.Body, &fields); err != nil || d.RoutingKey != key {
				t.Fatalf("got %s %s (%v), want %s", d.RoutingKey, d.Body, err, key)
			}
			return fields
		case <-deadline:
			t.Fatalf("no %s within %v", key, testkit.Patient)
		}
	}
}

// TestBusPublishesAndFlushesOnShutdown runs the server with RABBITMQ_URL: a join is published on live_events,
// and the room.leave of the participant that the shutdown removes is delivered before run returns.
func TestBusPublishesAndFlushesOnShutdown(t *testing.T) {
	url := brokertest.URL(t)
	room := "bus-" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
	events := liveEvents(t, url, room)
	secret := "bus-secret-bus-secret-bus-secret"
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	env := map[string]string{"PORT_NUMBER": "0", "BIND_ADDRESS": "127.0.0.1", "ADMIN_ADDR": "", "JWT_SECRET": secret,
		"MEDIA_MODE": "relay", "RABBITMQ_URL": url, "RABBITMQ_FLUSH_TIMEOUT": "20s",
		"DRAIN_TIMEOUT": "0s"}
	readyCh := make(chan listeners, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(n string) (string, bool) { v, ok := env[n]; return v, ok }, io.Discard,
			func(l listeners) { readyCh <- l })
	}()
	addrs := <-readyCh

	ws := dialWS(t, addrs.public)
	bearer, err := auth.SignHS256([]byte(secret), "alice", "", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ws.send(t, "join", map[string]any{"roomId": room, "bearer": bearer})
	var joinR struct{ D struct{ SocketID string } }
	if r := ws.reply(t, "join"); !r.OK() || json.Unmarshal(r.D, &joinR.D) != nil {
		t.Fatalf("joinR %+v", r)
	}
	join := nextEvent(t, events, bus.KeyRoomJoin)
	if join["socketId"] != joinR.D.SocketID || join["userId"] != "alice" || join["roomSize"] != 1.0 ||
		join["ip"] != "127.0.0.1" || join["eventId"] == "" {
		t.Fatalf("room.join %v", join)
	}

	stop()
	// The server closes the websocket (1001) and waits for the client to see it.
	if code := ws.closeCode(t); code != websocket.CloseGoingAway {
		t.Fatalf("closed with %d, want 1001", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	// run has returned: the room.leave of the drain was confirmed by the broker before.
	leave := nextEvent(t, events, bus.KeyRoomLeave)
	if leave["socketId"] != joinR.D.SocketID || leave["roomSize"] != 0.0 {
		t.Fatalf("room.leave %v", leave)
	}
}

// lockedBuffer collects log lines written by the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runLogged runs the server with env until stop returns, and returns its log.
func runLogged(t *testing.T, env map[string]string, until func(log *lockedBuffer)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log lockedBuffer
	readyCh := make(chan listeners, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(n string) (string, bool) { v, ok := env[n]; return v, ok }, &log,
			func(l listeners) { readyCh <- l })
	}()
	select {
	case <-readyCh:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	until(&log)
	cancel()
	<-done
	return log.String()
}

func TestBusDisabledIsSaidOnce(t *testing.T) {
	log := runLogged(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": ""}, func(*lockedBuffer) {})
	if n := strings.Count(log, "bus disabled: RABBITMQ_URL is not set"); n != 1 {
		t.Fatalf("said %d times:\n%s", n, log)
	}
}

// TestBusLogsNoCredentials points the server at a port where nothing listens: the connection failures are logged
// with the broker's address, never with its user name or password.
func TestBusLogsNoCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	env := map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "", "RABBITMQ_FLUSH_TIMEOUT": "100ms",
		"RABBITMQ_URL": "amqp://svc-user:s3cret-Pa55@" + addr + "/prod"}
	log := runLogged(t, env, func(log *lockedBuffer) {
		if !testkit.Eventually(testkit.Patient, func() bool {
			return strings.Contains(log.String(), "bus: cannot connect to the broker")
		}) {
			t.Fatalf("no connection failure logged:\n%s", log)
		}
	})
	if !strings.Contains(log, "amqp://"+addr+"/prod") {
		t.Fatalf("the broker is not named:\n%s", log)
	}
	if strings.Contains(log, "s3cret-Pa55") || strings.Contains(log, "svc-user") {
		t.Fatalf("credentials in the log:\n%s", log)
	}
}
