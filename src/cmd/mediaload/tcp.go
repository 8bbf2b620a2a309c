package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// frameReadWait bounds the read of a frame once its length has arrived: the rest follows at once from a live
// server.
const frameReadWait = 5 * time.Second

// tcpPath is a peer's ICE-TCP connection: RFC 4571 frames, a 16-bit length then one packet, both ways.
type tcpPath struct {
	conn *net.TCPConn
	r    *bufio.Reader

	mu  sync.Mutex // a publisher's sender and its consent checks write from two goroutines
	out []byte
}

func newTCPPath(conn *net.TCPConn) *tcpPath {
	return &tcpPath{conn: conn, r: bufio.NewReaderSize(conn, 16<<10), out: make([]byte, 0, 2+1500)}
}

// send writes b as one frame, in one write.
func (t *tcpPath) send(b []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out = append(binary.BigEndian.AppendUint16(t.out[:0], uint16(len(b))), b...)
	_, err := t.conn.Write(t.out)
	return err
}

// read returns the next frame in buf and the time it was read, or a timeout error when no frame began before
// deadline. A frame that has begun is read to its end (a timeout inside it would lose the framing).
func (t *tcpPath) read(buf []byte, deadline time.Time) ([]byte, int64, error) {
	if err := t.conn.SetReadDeadline(deadline); err != nil {
		return nil, 0, err
	}
	hdr, err := t.r.Peek(2)
	if errors.Is(err, io.EOF) {
		// The server ends a session's connections with it, when its participant leaves: the path is closed.
		return nil, 0, fmt.Errorf("ICE-TCP: closed by the server: %w", net.ErrClosed)
	}
	if err != nil {
		return nil, 0, err
	}
	n := int(binary.BigEndian.Uint16(hdr))
	if n > len(buf) {
		return nil, 0, errors.New("ICE-TCP: frame larger than a datagram")
	}
	if err := t.conn.SetReadDeadline(time.Now().Add(frameReadWait)); err != nil {
		return nil, 0, err
	}
	if _, err := t.r.Discard(2); err != nil {
		return nil, 0, err
	}
	if _, err := io.ReadFull(t.r, buf[:n]); err != nil {
		return nil, 0, err
	}
	return buf[:n], time.Now().UnixNano(), nil
}
