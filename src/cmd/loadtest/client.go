package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// writeWait bounds one frame written to the server.
const writeWait = 5 * time.Second

// client is one websocket joined to one room.
type client struct {
	lt     *loadTest
	userID string
	roomID string

	wmu sync.Mutex
	ws  *websocket.Conn

	// socketID (also encoded as a JSON string) and mode are set once, when joinR arrives, before joined is closed.
	socketID     string
	socketIDJSON []byte
	mode         string
	joined       chan struct{}
	// joinOutcome is reported once, whether the join worked or not.
	joinOutcome sync.Once
	closing     atomic.Bool
}

func newClient(lt *loadTest, userID, roomID string) *client {
	return &client{lt: lt, userID: userID, roomID: roomID, joined: make(chan struct{})}
}

// incoming is the part of a server frame the tool looks at.
type incoming struct {
	A string `json:"a"`
	S *bool  `json:"s"`
	E int    `json:"e"`
	D struct {
		SocketID  string `json:"socketId"`
		Mode      string `json:"mode"`
		Candidate struct {
			Candidate string `json:"candidate"`
		} `json:"candidate"`
		Message json.RawMessage `json:"message"`
	} `json:"d"`
}

type joinRequest struct {
	RoomID   string `json:"roomId"`
	Bearer   string `json:"bearer"`
	Platform string `json:"platform"`
}

// run dials, joins, and reads until the connection ends. The join outcome goes to the load test's join phase.
func (c *client) run(ctx context.Context) {
	lt := c.lt
	bearer, err := lt.bearer(ctx, c.userID, c.roomID)
	if err != nil {
		c.joinFailed("bearer: " + err.Error())
		return
	}
	dialStart := time.Now()
	ws, res, err := lt.dialer.DialContext(ctx, lt.cfg.url, http.Header{})
	if err != nil {
		reason := "dial: " + err.Error()
		if res != nil {
			reason = fmt.Sprintf("dial: HTTP %d", res.StatusCode)
		}
		c.joinFailed(reason)
		return
	}
	lt.dialLat.add(time.Since(dialStart))
	c.wmu.Lock()
	c.ws = ws
	c.wmu.Unlock()
	defer func() {
		if err := ws.Close(); err != nil && !c.closing.Load() {
			lt.count("close error")
		}
	}()
	joinSent := time.Now()
	if err := c.send("join", joinRequest{RoomID: c.roomID, Bearer: bearer, Platform: "loadtest"}); err != nil {
		c.joinFailed("join: " + err.Error())
		return
	}
	// One buffer serves every message of the connection, instead of one allocated per message as
	// websocket.Conn.ReadMessage does.
	var buf bytes.Buffer
	for {
		_, r, err := ws.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if !c.closing.Load() {
				lt.count("connection lost: " + closeReason(err))
				c.joinFailed("connection lost before joinR")
			}
			return
		}
		c.handle(buf.Bytes(), joinSent)
	}
}

// handle takes one message from the server. The relay phase's frames take a path without encoding/json
// (frames.go); the others are decoded.
func (c *client) handle(data []byte, joinSent time.Time) {
	lt := c.lt
	if isRelayReply(data) {
		lt.replies.Add(1)
		return
	}
	if stamp, ok := quickStamp(data); ok {
		c.relayed(stamp, nil)
		return
	}
	var msg incoming
	if err := json.Unmarshal(data, &msg); err != nil {
		lt.count("unreadable frame")
		return
	}
	switch {
	case msg.A == "joinR":
		if msg.S == nil || !*msg.S {
			c.joinFailed(fmt.Sprintf("joinR error %d", msg.E))
			return
		}
		lt.joinLat.add(time.Since(joinSent))
		socketIDJSON, err := json.Marshal(msg.D.SocketID)
		if err != nil {
			c.joinFailed("joinR socketId: " + err.Error())
			return
		}
		c.joinOutcome.Do(func() {
			c.socketID, c.socketIDJSON, c.mode = msg.D.SocketID, socketIDJSON, msg.D.Mode
			close(c.joined)
			lt.joins.Done()
		})
	case msg.A == "eventExchangeCandidate":
		c.relayed(parseStamp(msg.D.Candidate.Candidate))
	case msg.A == "eventMessage":
		var m stampedMessage
		if err := json.Unmarshal(msg.D.Message, &m); err != nil || m.Loadtest < 0 {
			lt.count("foreign eventMessage")
			return
		}
		c.relayed(time.Duration(m.Loadtest), nil)
	case msg.S != nil && !*msg.S:
		lt.count(fmt.Sprintf("%s error %d", msg.A, msg.E))
	case msg.S != nil:
		lt.replies.Add(1)
	}
}

// relayed records the latency of a message sent at stamp (time since the tool's start).
func (c *client) relayed(stamp time.Duration, err error) {
	if err != nil {
		c.lt.count("foreign candidate")
		return
	}
	c.lt.received.Add(1)
	c.lt.relayLat.add(time.Since(c.lt.epoch) - stamp)
}

func (c *client) joinFailed(reason string) {
	c.joinOutcome.Do(func() {
		c.lt.count("join failed: " + reason)
		c.lt.joins.Done()
	})
}

// isJoined reports whether joinR arrived.
func (c *client) isJoined() bool {
	select {
	case <-c.joined:
		return true
	default:
		return false
	}
}

// send writes {"a":action,"d":data}.
func (c *client) send(action string, data any) error {
	frame, err := json.Marshal(struct {
		A string `json:"a"`
		D any    `json:"d"`
	}{action, data})
	if err != nil {
		return err
	}
	return c.write(frame)
}

// write sends one text frame.
func (c *client) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ws == nil {
		return errors.New("not connected")
	}
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// close leaves the room with a close frame.
func (c *client) close() {
	c.closing.Store(true)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ws == nil {
		return
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait)); err != nil {
		c.lt.count("close frame not sent")
	}
}

type stampedMessage struct {
	Loadtest int64 `json:"loadtest"`
}

// relayTo sends one stamped message to the member to of the same room, as a candidate or as a message. The frame is
// built in buf, which it returns for the next call.
func (c *client) relayTo(to *client, viaCandidate bool, buf []byte) ([]byte, error) {
	buf = appendRelayFrame(buf[:0], to.socketIDJSON, time.Since(c.lt.epoch), viaCandidate)
	return buf, c.write(buf)
}

// closeReason names a read error briefly, for the error counts.
func closeReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("close %d %s", ce.Code, ce.Text)
	}
	return "read error"
}
