package signaling

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// conn is one websocket. Its read goroutine reads frames and runs the handlers; its write goroutine drains the
// queue, pings, and closes.
type conn struct {
	srv     *Server
	ws      *websocket.Conn
	ip      string
	queue   *outQueue
	limiter *rateLimiter

	// Used by the read goroutine only.
	log *slog.Logger
	p   *participant
	// flood closes the connection that goes on sending over its rate limits; overLimit is set while messages are
	// dropped, so that 1331 is answered once per run of them.
	flood     *floodMeter
	overLimit bool
	// joinTimer closes the connection when it holds no participant for JoinTimeout; joinGen tells a timer of an
	// earlier period that it is stale.
	joinTimer *time.Timer
	joinGen   atomic.Uint64
	// joined is set while the connection holds a participant; counted while it is counted in unauthCount (read
	// goroutine only, set before it starts).
	joined  atomic.Bool
	counted bool
	// user is the user whose websocket count and rate limit this connection takes, once joined; it is released
	// once, by whoever swaps it out (the connection's end, leave, or a reconnect taking the participant over).
	user atomic.Pointer[user]
	// endCalls cancels the context of the connection's calls to the media plane: when the read goroutine ends, or
	// when Shutdown gives up waiting for the connection.
	endCalls context.CancelFunc

	closeOnce sync.Once
	// closing is closed to make the write goroutine send a close frame and end the connection.
	closing   chan struct{}
	closeCode int
	closeText string
	// closeLeaves tells the read goroutine that the participant leaves (shutdown) rather than drops.
	closeLeaves bool
	// readDone is closed when the read goroutine ends.
	readDone chan struct{}

	// remote is set on a room owner's connection of a participant whose websocket is on another node (ws is nil);
	// fwd is set on that other node's connection while it forwards its client's frames to the room's owner.
	remote *remoteLink
	fwd    atomic.Pointer[forward]
	// remoteCtx is the context of a remote connection's calls; rejoin is set on the remote connection of a
	// participant entering its room again on a new owner (its first owner died).
	remoteCtx context.Context
	rejoin    *peerEntry
}

// newConn makes the connection of ws; endCalls cancels the context its start is given.
func newConn(s *Server, ws *websocket.Conn, ip string, endCalls context.CancelFunc) *conn {
	return &conn{
		srv:      s,
		ws:       ws,
		ip:       ip,
		endCalls: endCalls,
		queue:    newOutQueue(s.opts.SendQueueLimit, s.opts.SendQueueBytes, s.budget),
		limiter:  newRateLimiter(s.opts.RateLimit, s.opts.RateBurst, s.now()),
		flood:    newFloodMeter(s.opts.RateLimit, s.opts.RateBurst, s.now()),
		log:      s.log.With("remote", ip),
		closing:  make(chan struct{}),
		readDone: make(chan struct{}),
	}
}

// start runs the connection's goroutines and its join deadline; ctx is the context of its calls, cancelled by
// endCalls.
func (c *conn) start(ctx context.Context) {
	c.armJoinDeadline()
	go c.readPump(ctx)
	go c.writePump()
}

// armJoinDeadline closes the connection unless it holds a participant within JoinTimeout. Called before the
// goroutines start, then on the read goroutine (after leave).
func (c *conn) armJoinDeadline() {
	gen := c.joinGen.Add(1)
	c.joinTimer = time.AfterFunc(c.srv.opts.JoinTimeout, func() {
		defer c.srv.recoverAndReport("join deadline")
		if c.joinGen.Load() != gen || c.joined.Load() {
			return
		}
		c.srv.counters.joinTimeouts.Add(1)
		// c.log belongs to the read goroutine: this one logs with the server's.
		c.srv.log.Info("websocket closed: no join in time", "remote", c.ip, "timeout", c.srv.opts.JoinTimeout)
		c.closeWith(protocol.CloseJoinTimeout, protocol.CloseJoinTimeoutReason, false)
	})
}

// joinedNow runs when c gets a participant (join, reconnect): it leaves the unauthenticated count and its
// deadline ends. Called on the read goroutine.
func (c *conn) joinedNow() {
	if c.joined.Swap(true) {
		return
	}
	c.stopJoinDeadline()
	c.uncount()
}

// stopJoinDeadline ends the current join deadline. A connection that was never started has none.
func (c *conn) stopJoinDeadline() {
	c.joinGen.Add(1)
	if c.joinTimer != nil {
		c.joinTimer.Stop()
	}
}

// uncount takes c out of the unauthenticated count, if it is in it.
func (c *conn) uncount() {
	if c.counted {
		c.counted = false
		c.srv.unauth.release(c.ip)
	}
}

// unjoinedNow runs when c no longer holds a participant but stays open (leave): it counts as unauthenticated again
// (admitted before, so never refused) with a new join deadline. Called on the read goroutine.
func (c *conn) unjoinedNow() {
	c.releaseUser()
	if !c.joined.Swap(false) {
		return
	}
	c.srv.unauth.acquire(c.ip, true)
	c.counted = true
	c.armJoinDeadline()
}

// releaseUser gives back c's place in its user's websocket count, if it holds one.
func (c *conn) releaseUser() {
	if u := c.user.Swap(nil); u != nil {
		c.srv.users.release(u)
	}
}

// allow takes a token from the connection's rate limit, and from its user's once joined. When one refuses, the
// message is dropped and counted by that limit's floodMeter: closeIt says the connection must be closed, since is
// when the flood began.
func (c *conn) allow(now time.Time) (ok, closeIt bool, since time.Time) {
	if !c.limiter.allow(now) {
		return false, c.flood.drop(now), c.flood.since
	}
	u := c.user.Load()
	if u == nil || u.limiter.allow(now) {
		return true, false, time.Time{}
	}
	closeIt, since = u.limiter.drop(now)
	return false, closeIt, since
}

// closeWith makes the write goroutine send a close frame with code and text, then end the connection.
// leaves says whether the participant then leaves its room (shutdown) instead of keeping its place.
func (c *conn) closeWith(code int, text string, leaves bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeText, c.closeLeaves = code, text, leaves
		close(c.closing)
	})
}

// closeSlow drops a connection whose queue refused a message (why). A close frame would wait behind everything the
// client does not read, so the TCP connection is closed at once; that does not block (callers hold room locks).
func (c *conn) closeSlow(why refusal) {
	switch why {
	case refusedFull:
		c.srv.counters.slowQueue.Add(1)
	case refusedBudget:
		c.srv.counters.slowBudget.Add(1)
	}
	c.closeWith(websocket.ClosePolicyViolation, "slow reader", false)
	if c.ws != nil {
		_ = c.ws.NetConn().Close()
	}
}

// send queues a message for this websocket (the requester's own replies and events).
func (c *conn) send(m *outMsg) {
	if why := c.queue.push(m); why != queued {
		c.closeSlow(why)
	}
}

func (c *conn) reply(action string, data any) {
	if ok, shared := okReplies[action]; shared && data == nil {
		c.send(ok)
		return
	}
	c.send(newReply(action, data))
}

// fail answers action with the error code, and counts the error reply.
func (c *conn) fail(action string, code int) {
	c.srv.counters.errorReply(code)
	c.send(newError(action, code))
}

func (c *conn) readPump(ctx context.Context) {
	defer c.srv.connsWG.Done()
	defer close(c.readDone)
	defer c.endCalls()
	defer c.recoverAndReport("read")
	c.ws.SetReadLimit(int64(c.srv.opts.MaxMessageBytes))
	pongWait := c.srv.opts.PongWait
	if err := c.ws.SetReadDeadline(time.Now().Add(pongWait)); err != nil {
		c.ended(err)
		return
	}
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		kind, r, err := c.ws.NextReader()
		if err != nil {
			c.ended(err)
			return
		}
		if !c.readFrame(ctx, kind, r) {
			return
		}
	}
}

// readBufPool holds the buffers frames are read into: a frame is handled before the next is read, and nothing of it
// is kept (handlers copy what they keep), so one buffer serves many frames and an idle connection holds none.
var readBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readFrame reads one message of kind from r and handles it; it reports false when the connection has ended.
func (c *conn) readFrame(ctx context.Context, kind int, r io.Reader) bool {
	buf := readBufPool.Get().(*bytes.Buffer)
	defer readBufPool.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		c.ended(err)
		return false
	}
	if err := c.ws.SetReadDeadline(time.Now().Add(c.srv.opts.PongWait)); err != nil {
		c.ended(err)
		return false
	}
	now := c.srv.now()
	if ok, closeIt, since := c.allow(now); !ok {
		c.rateLimited(now, closeIt, since)
		return true
	}
	c.overLimit = false
	if kind != websocket.TextMessage {
		c.fail(protocol.ActionGeneral, protocol.CodeJSON)
		c.srv.counters.message(protocol.ActionGeneral, protocol.CodeJSON)
		return true
	}
	if f := c.fwd.Load(); f != nil {
		// The participant lives on another node: its owner handles and answers the frame.
		c.forward(ctx, f, buf.Bytes())
		return true
	}
	c.handleSafely(ctx, buf.Bytes())
	return true
}

// rateLimited drops a message received at now over the rate limits: the first of a run is answered 1331, and a
// client that keeps flooding (closeIt, see floodMeter) is closed.
func (c *conn) rateLimited(now time.Time, closeIt bool, since time.Time) {
	c.srv.counters.rateLimited.Add(1)
	if !c.overLimit {
		c.overLimit = true
		c.fail(protocol.ActionGeneral, protocol.CodeRateLimited)
	}
	if !closeIt {
		return
	}
	select {
	case <-c.closing:
		return
	default:
	}
	c.srv.counters.rateLimitCloses.Add(1)
	c.log.Warn("websocket closed: rate limit", "overLimitFor", now.Sub(since))
	c.closeWith(protocol.CloseRateLimit, protocol.CloseRateLimitReason, false)
}

// handleSafely runs one frame's handler, answers its error code and counts it; a panic is reported and answered
// 1280, and the connection goes on.
func (c *conn) handleSafely(ctx context.Context, frame []byte) {
	action, code := c.handleRecovering(ctx, frame)
	if code != 0 {
		c.fail(action, code)
	}
	c.srv.counters.message(action, code)
}

// handleRecovering is handle, with a panic turned into 1280 for protocol.ActionGeneral.
func (c *conn) handleRecovering(ctx context.Context, frame []byte) (action string, code int) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("panic in API handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			action, code = protocol.ActionGeneral, protocol.CodeSystem
		}
	}()
	return c.handle(ctx, frame)
}

// ended runs once the read side is over: the participant leaves (close frame, shutdown) or drops (anything else).
func (c *conn) ended(err error) {
	// A close frame from the client is a decision to leave. gorilla reports a TCP end without one as a CloseError
	// too, with the reserved code 1006 (abnormal closure): that is a drop.
	var closeErr *websocket.CloseError
	leaves := errors.As(err, &closeErr) && closeErr.Code != websocket.CloseAbnormalClosure
	if errors.Is(err, websocket.ErrReadLimit) {
		c.log.Info("websocket closed: message too big", "limit", c.srv.opts.MaxMessageBytes)
	}
	c.endWith(leaves)
	c.log.Debug("websocket ended", "leave", leaves, "err", err)
}

// endWith ends the connection's participant side: the participant leaves (leaves) or waits for a reconnect. Runs
// on the read goroutine, once.
func (c *conn) endWith(leaves bool) {
	select {
	case <-c.closing:
		// The server closed this connection: the client's close frame answering ours is no decision to leave.
		leaves = c.closeLeaves
	default:
	}
	c.closeWith(websocket.CloseNormalClosure, "", leaves)
	c.srv.untrack(c)
	c.stopJoinDeadline()
	c.releaseUser()
	c.uncount()
	if c.p != nil {
		c.srv.detach(c, leaves)
		c.p = nil
	}
	if f := c.fwd.Swap(nil); f != nil {
		c.srv.forwardEnd(f, leaves)
	}
}

func (c *conn) writePump() {
	defer c.srv.connsWG.Done()
	defer c.recoverAndReport("write")
	defer func() {
		select {
		case <-c.readDone:
			c.linger()
		default:
			// The read goroutine still runs: closing the socket ends it.
		}
		_ = c.ws.Close()
	}()
	ping := time.NewTicker(c.srv.opts.PingPeriod)
	defer ping.Stop()
	var batch []*outMsg
	for {
		select {
		case <-c.queue.notify:
			batch = c.queue.take(batch)
			if !c.writeBatch(batch) {
				return
			}
			clear(batch)
		case <-ping.C:
			if !c.writeRaw(pingFrame) {
				return
			}
		case <-c.closing:
			if c.closeLeaves {
				// Shutdown: what was queued before the close (a leaveR, the last events) goes out before the close
				// frame. Otherwise the participant keeps its place and the queue is replayed on its next websocket.
				batch = c.queue.take(batch)
				if !c.writeBatch(batch) {
					return
				}
			}
			msg := websocket.FormatCloseMessage(c.closeCode, c.closeText)
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.opts.WriteWait))
			select {
			case <-c.readDone:
			case <-time.After(min(closeReplyWait, c.srv.opts.WriteWait)):
				// The peer does not answer our close frame (a flooder, a client that stopped reading): end the
				// connection anyway, without holding its goroutines and buffers for a full WriteWait.
			}
			return
		case <-c.readDone:
			return
		}
	}
}

// closeReplyWait bounds the wait for the client's answer to the server's close frame: a client that answers does
// within a round trip, and one that does not (it floods, or stopped reading) must not hold the connection long.
const closeReplyWait = time.Second

// Lingering close: how long and how much the server still reads after its last frame.
const (
	lingerTimeout  = time.Second
	lingerMaxBytes = 256 << 10
)

// linger half-closes the TCP connection and discards what the client still sends for a moment before the socket is
// closed. Closing a socket with unread input makes the kernel send a reset, which can destroy the close frame
// (1009 after an oversized message, for instance) before the client reads it. Called once nothing else reads.
func (c *conn) linger() {
	tcp, ok := c.ws.NetConn().(*net.TCPConn)
	if !ok {
		return
	}
	if tcp.CloseWrite() != nil || tcp.SetReadDeadline(time.Now().Add(lingerTimeout)) != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(tcp, lingerMaxBytes))
}

// pingFrame is a ping without payload, as WriteControl would write it.
var pingFrame = []byte{0x80 | websocket.PingMessage, 0}

// framePool holds the buffers writeBatch lays frames out in, so that an idle connection holds none.
var framePool = sync.Pool{New: func() any { return new([]byte) }}

// writeChunk is how much writeBatch lays out before writing it: it bounds a buffer kept in framePool, while a
// burst of queued messages still takes few system calls.
const writeChunk = 64 << 10

// writeBatch writes messages in order; it reports false when the connection is broken. It lays their frames out
// in one buffer and writes it with one system call (per writeChunk), where gorilla's WriteMessage would make one
// per message: when several messages are queued for a client, they leave together. Control frames written by
// gorilla (the close frame, pongs) never land inside these frames: a net.Conn writes all of each Write before
// another Write goes on the connection.
func (c *conn) writeBatch(batch []*outMsg) bool {
	bp := framePool.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= 2*writeChunk {
			*bp = buf[:0]
			framePool.Put(bp)
		}
	}()
	for _, m := range batch {
		data, err := m.bytes()
		if err != nil {
			c.srv.log.Error("cannot encode message", "err", err)
			continue
		}
		buf = appendTextFrame(buf, data)
		if len(buf) >= writeChunk {
			if !c.writeRaw(buf) {
				return false
			}
			buf = buf[:0]
		}
	}
	return len(buf) == 0 || c.writeRaw(buf)
}

// appendTextFrame appends data as one unfragmented text frame, unmasked as a server sends it (RFC 6455 5.2).
func appendTextFrame(dst, data []byte) []byte {
	const finText = 0x80 | websocket.TextMessage
	switch n := len(data); {
	case n <= 125:
		dst = append(dst, finText, byte(n))
	case n <= 0xffff:
		dst = append(dst, finText, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, finText, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, data...)
}

// writeRaw writes frames on the connection; it reports false when the connection is broken.
func (c *conn) writeRaw(frames []byte) bool {
	nc := c.ws.NetConn()
	if err := nc.SetWriteDeadline(time.Now().Add(c.srv.opts.WriteWait)); err != nil {
		return false
	}
	_, err := nc.Write(frames)
	return err == nil
}

func (c *conn) recoverAndReport(side string) {
	if v := recover(); v != nil {
		c.srv.log.Error("panic in websocket goroutine", "side", side, "panic", fmt.Sprint(v),
			"stack", string(debug.Stack()))
		if c.ws != nil {
			_ = c.ws.Close()
		}
	}
}
