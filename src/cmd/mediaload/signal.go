package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writeWait bounds one frame written to the server.
const writeWait = 5 * time.Second

// message is any frame of the signaling protocol (docs/API.md): a reply (a ends in R, with s and e) or an event.
type message struct {
	A string          `json:"a"`
	S bool            `json:"s"`
	E int             `json:"e"`
	D json.RawMessage `json:"d"`
}

// sdpEvent is eventExchangeSdp's data; fromEvent the other events' that name a peer.
type sdpEvent struct {
	From struct {
		SocketID string `json:"socketId"`
	} `json:"from"`
	SDP struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	} `json:"sdp"`
}

type fromEvent struct {
	From struct {
		SocketID string `json:"socketId"`
	} `json:"from"`
	Reason string `json:"reason"`
	Phase  string `json:"phase"`
}

// signaling is one participant's websocket. One goroutine reads; the participant's goroutine takes the messages
// in order with next, which keeps those it skips for later calls.
type signaling struct {
	conn    *websocket.Conn
	writeMu sync.Mutex
	in      chan message
	readErr error // set before in is closed
	backlog []message
}

// dial opens a websocket to the server's /api.
func dial(ctx context.Context, base string) (*signaling, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/api"
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", u, err)
	}
	_ = resp.Body.Close()
	s := &signaling{conn: conn, in: make(chan message, 64)}
	go s.readLoop()
	return s, nil
}

func (s *signaling) readLoop() {
	for {
		var m message
		if err := s.conn.ReadJSON(&m); err != nil {
			s.readErr = err
			close(s.in)
			return
		}
		s.in <- m
	}
}

// send sends {"a":action,"d":data}.
func (s *signaling) send(action string, data any) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.conn.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return err
	}
	return s.conn.WriteJSON(map[string]any{"a": action, "d": data})
}

// next returns the first message, in order of arrival, for which match holds.
func (s *signaling) next(ctx context.Context, match func(message) bool) (message, error) {
	for i, m := range s.backlog {
		if match(m) {
			s.backlog = append(s.backlog[:i:i], s.backlog[i+1:]...)
			return m, nil
		}
	}
	for {
		select {
		case m, ok := <-s.in:
			if !ok {
				return message{}, fmt.Errorf("websocket closed: %w", s.readErr)
			}
			if match(m) {
				return m, nil
			}
			s.backlog = append(s.backlog, m)
		case <-ctx.Done():
			return message{}, ctx.Err()
		}
	}
}

// request sends action and waits for its reply; a refusal is an error with its code.
func (s *signaling) request(ctx context.Context, action string, data any) (message, error) {
	if err := s.send(action, data); err != nil {
		return message{}, err
	}
	m, err := s.next(ctx, func(m message) bool { return m.A == action+"R" })
	if err == nil && !m.S {
		err = fmt.Errorf("%s refused with error %d", action, m.E)
	}
	return m, err
}

// offerFrom waits for eventExchangeSdp of type sdpType from socketID.
func (s *signaling) sdpFrom(ctx context.Context, socketID, sdpType string) (sdpEvent, error) {
	var ev sdpEvent
	_, err := s.next(ctx, func(m message) bool {
		return m.A == "eventExchangeSdp" && json.Unmarshal(m.D, &ev) == nil && ev.From.SocketID == socketID &&
			ev.SDP.Type == sdpType
	})
	return ev, err
}

// event waits for the event name from socketID; eventWebrtcDown from it instead is an error.
func (s *signaling) event(ctx context.Context, name, socketID string) error {
	var ev fromEvent
	m, err := s.next(ctx, func(m message) bool {
		return (m.A == name || m.A == "eventWebrtcDown") && json.Unmarshal(m.D, &ev) == nil &&
			ev.From.SocketID == socketID
	})
	if err == nil && m.A != name {
		err = fmt.Errorf("session with %s down (%s, phase %s)", socketID, ev.Reason, ev.Phase)
	}
	return err
}

// drain hands every message left and to come to onMessage until ctx ends or the websocket closes.
func (s *signaling) drain(ctx context.Context, onMessage func(message)) {
	for _, m := range s.backlog {
		onMessage(m)
	}
	s.backlog = nil
	for {
		select {
		case m, ok := <-s.in:
			if !ok {
				return
			}
			onMessage(m)
		case <-ctx.Done():
			return
		}
	}
}

// decode unmarshals data into v and reports whether it worked.
func decode(data []byte, v any) bool { return json.Unmarshal(data, v) == nil }

// close closes the websocket.
func (s *signaling) close() error { return s.conn.Close() }

// devBearer asks a dev mode server for a bearer of userID.
func devBearer(ctx context.Context, base, userID string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/dev/token?"+url.Values{"userId": {userID}}.Encode(),
		nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		Bearer string `json:"bearer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.Bearer == "" {
		return "", errors.Join(fmt.Errorf("/dev/token: %s (the server must be in dev mode, or give -secret)",
			resp.Status), err)
	}
	return tok.Bearer, nil
}
