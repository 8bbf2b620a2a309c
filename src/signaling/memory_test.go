//go:build !race

package signaling

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memoryBudget is the target of issue 2: server memory per idle joined connection.
const memoryBudget = 48 << 10

// TestMemoryPerIdleConnection joins 2,000 raw websocket clients (8 per room) and measures what the process holds
// per connection after a garbage collection: heap in use plus goroutine stacks. The clients are bare TCP
// connections without goroutines or buffers, so the figure is essentially the server's (it includes both ends'
// file descriptors). Not run with -race, whose shadow memory would swamp the figure.
func TestMemoryPerIdleConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement skipped in -short mode")
	}
	const clients = 2000
	h := newHarness(t, func(o *Options) { o.PingPeriod = time.Minute; o.PongWait = 2 * time.Minute })
	addr := strings.TrimPrefix(h.hs.URL, "http://")
	before := memoryInUse()
	rssBefore := rss(t)
	conns := make([]net.Conn, 0, clients)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range clients {
		c, err := rawJoin(addr, fmt.Sprintf("room%d", i/8), h.token(fmt.Sprintf("u%d", i), ""))
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	if st := h.srv.Snapshot(); st.Participants != clients {
		t.Fatalf("%d participants, want %d", st.Participants, clients)
	}
	after := memoryInUse()
	perConn := (after - before) / clients
	rssPerConn := (rss(t) - rssBefore) / clients
	t.Logf("%d idle joined connections: heap+stacks %d B/conn, RSS growth %d B/conn (budget %d)",
		clients, perConn, rssPerConn, memoryBudget)
	if perConn > memoryBudget {
		t.Fatalf("heap+stacks per connection %d B > %d B", perConn, memoryBudget)
	}
}

func memoryInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// rss reads the resident set size from /proc (Linux).
func rss(t *testing.T) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// rawJoin opens a websocket by hand, sends join and reads one frame whose payload starts with joinR.
func rawJoin(addr, room, bearer string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET /api HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	if _, err := c.Write(maskedTextFrame(`{"a":"join","d":{"roomId":"` + room + `","bearer":"` + bearer + `"}}`)); err != nil {
		return nil, err
	}
	// Events from earlier joiners of the room come first; the reply ends the join.
	for {
		payload, err := readFrame(br)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(payload, `{"a":"joinR","s":true`) {
			return c, nil
		}
	}
}

func maskedTextFrame(payload string) []byte {
	frame := []byte{0x81}
	switch n := len(payload); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	default:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(n))
	}
	mask := [4]byte{1, 2, 3, 4}
	frame = append(frame, mask[:]...)
	for i := range len(payload) {
		frame = append(frame, payload[i]^mask[i%4])
	}
	return frame
}

func readFrame(br *bufio.Reader) (string, error) {
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return "", err
	}
	n := int(head[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return "", err
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return "", err
		}
		n = int(binary.BigEndian.Uint64(ext[:]))
	}
	payload := make([]byte, n)
	_, err := io.ReadFull(br, payload)
	return string(payload), err
}
