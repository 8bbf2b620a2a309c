package testkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Message is one frame of the client API: action, success, data and error code.
type Message struct {
	A string          `json:"a"`
	S *bool           `json:"s,omitempty"`
	D json.RawMessage `json:"d,omitempty"`
	E int             `json:"e,omitempty"`
}

// OK reports whether m is a successful reply.
func (m Message) OK() bool { return m.S != nil && *m.S }

// ErrClosed is the error of a wait on a Client whose connection has ended; it wraps the read error, which is a
// *websocket.CloseError when the server sent a close frame.
var ErrClosed = errors.New("websocket closed")

// Client is a websocket client of the API. A goroutine reads every frame; Await and Reply find the message they
// want and keep the others, in order, for later calls. Its methods are safe for one reader and many writers.
type Client struct {
	// Conn is the websocket, for what the methods do not cover (binary frames, control frames, socket options).
	Conn *websocket.Conn

	writeMu sync.Mutex
	in      chan Message
	// readErr is the reason the reads ended, set before in is closed.
	readErr error
	backlog []Message
}

// Dial opens a websocket to url (ws://host/api) with header.
func Dial(url string, header http.Header) (*Client, error) {
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	_ = resp.Body.Close()
	c := &Client{Conn: conn, in: make(chan Message, 1024)}
	go c.readLoop()
	return c, nil
}

// DialT is Dial for the test's goroutine: it fails t on an error and closes the connection when the test ends.
func DialT(t testing.TB, url string, header http.Header) *Client {
	t.Helper()
	c, err := Dial(url, header)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Conn.Close() })
	return c
}

// readLoop reads every frame into in; a frame that is not a JSON object ends it, as the server never sends one.
func (c *Client) readLoop() {
	defer close(c.in)
	for {
		_, data, err := c.Conn.ReadMessage()
		if err != nil {
			c.readErr = err
			return
		}
		var m Message
		if err := json.Unmarshal(data, &m); err != nil {
			c.readErr = fmt.Errorf("frame %.80q: %w", data, err)
			return
		}
		c.in <- m
	}
}

// SendRaw sends frame as a text message.
func (c *Client) SendRaw(frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.Conn.WriteMessage(websocket.TextMessage, frame)
}

// Send sends {"a": action, "d": data}, without "d" when data is nil.
func (c *Client) Send(action string, data any) error {
	frame := map[string]any{"a": action}
	if data != nil {
		frame["d"] = data
	}
	b, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	return c.SendRaw(b)
}

// Next returns the next message in order of arrival (the kept ones first).
func (c *Client) Next(timeout time.Duration) (Message, error) {
	return c.Await(timeout, "a message", func(Message) bool { return true })
}

// Await returns the first message, in order of arrival, for which match holds; the others stay for later calls.
// After timeout, or when the connection ends first, the error names what.
func (c *Client) Await(timeout time.Duration, what string, match func(Message) bool) (Message, error) {
	for i, m := range c.backlog {
		if match(m) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return m, nil
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				return Message{}, fmt.Errorf("waiting for %s: %w: %w", what, ErrClosed, c.readErr)
			}
			if match(m) {
				return m, nil
			}
			c.backlog = append(c.backlog, m)
		case <-deadline.C:
			return Message{}, fmt.Errorf("no %s within %v; other messages: %s", what, timeout, c.kept())
		}
	}
}

// kept names the actions of the messages kept for later, for failure messages.
func (c *Client) kept() string {
	names := ""
	for i, m := range c.backlog {
		if i > 0 {
			names += ", "
		}
		names += m.A
	}
	return "[" + names + "]"
}

// Reply returns the reply to action: the next actionR, or generalR (the server's answer to a frame it could not
// read). An error reply is returned as a message, not as an error.
func (c *Client) Reply(action string, timeout time.Duration) (Message, error) {
	return c.Await(timeout, action+"R", func(m Message) bool { return m.A == action+"R" || m.A == "generalR" })
}

// OKReply is Reply that also fails on an error reply.
func (c *Client) OKReply(action string, timeout time.Duration) (Message, error) {
	m, err := c.Reply(action, timeout)
	if err == nil && !m.OK() {
		err = fmt.Errorf("%s answered %s with error %d", action, m.A, m.E)
	}
	return m, err
}

// Closed waits until the connection ends, skipping every message, and returns the server's close frame; an
// ending without one is an error.
func (c *Client) Closed(timeout time.Duration) (*websocket.CloseError, error) {
	_, err := c.Await(timeout, "the end of the connection", func(Message) bool { return false })
	if !errors.Is(err, ErrClosed) {
		return nil, err
	}
	c.backlog = nil
	var ce *websocket.CloseError
	if !errors.As(c.readErr, &ce) {
		return nil, fmt.Errorf("the connection ended without a close frame: %w", c.readErr)
	}
	return ce, nil
}

// Drop ends the TCP connection without a close frame, as a network loss would.
func (c *Client) Drop() { _ = c.Conn.NetConn().Close() }

// Close sends a close frame (normal closure), then closes the connection.
func (c *Client) Close() {
	c.writeMu.Lock()
	_ = c.Conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	c.writeMu.Unlock()
	_ = c.Conn.Close()
}
