package main

import (
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

	// socketID and mode are set once, when joinR arrives, before joined is closed.
	socketID string
	mode     string
	joined   chan struct{}
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
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if !c.closing.Load() {
				lt.count("connection lost: " + closeReason(err))
				c.joinFailed("connection lost before joinR")
			}
			return
		}
		c.handle(data, joinSent)
	}
}

func (c *client) handle(data []byte, joinSent time.Time) {
	lt := c.lt
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
		c.joinOutcome.Do(func() {
			c.socketID, c.mode = msg.D.SocketID, msg.D.Mode
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

type candidateInit struct {
	Candidate     string `json:"candidate"`
	SDPMid        string `json:"sdpMid"`
	SDPMLineIndex int    `json:"sdpMLineIndex"`
}

type exchangeCandidate struct {
	To        string        `json:"to"`
	Candidate candidateInit `json:"candidate"`
}

type sendMessage struct {
	To      string         `json:"to"`
	Message stampedMessage `json:"message"`
}

// relayTo sends one stamped message to the member to of the same room, as a candidate or as a message.
func (c *client) relayTo(to *client, viaCandidate bool) error {
	stamp := time.Since(c.lt.epoch)
	if viaCandidate {
		return c.send("exchangeCandidate", exchangeCandidate{To: to.socketID,
			Candidate: candidateInit{Candidate: stampedCandidate(stamp), SDPMid: "0"}})
	}
	return c.send("sendMessage", sendMessage{To: to.socketID, Message: stampedMessage{Loadtest: int64(stamp)}})
}

// closeReason names a read error briefly, for the error counts.
func closeReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("close %d %s", ce.Code, ce.Text)
	}
	return "read error"
}
