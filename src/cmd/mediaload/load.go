package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/auth"
	"github.com/heytribe/live-webrtcsignaling/src/internal/loadtool"
)

// load is one run: the participants of every room, sharing one DTLS certificate and the publishers' send clocks.
type load struct {
	cfg          config
	log          *slog.Logger
	dtlsCtx      *dtls.Context
	clocks       []*sendClock
	counting     atomic.Bool
	participants []*participant
}

func newLoadWith(cfg config, log *slog.Logger) (*load, error) {
	cert, err := dtls.NewCertificate()
	if err != nil {
		return nil, err
	}
	dtlsCtx, err := dtls.NewContextWith(dtls.Config{Certificate: cert, Logger: log})
	if err != nil {
		return nil, err
	}
	l := &load{cfg: cfg, log: log, dtlsCtx: dtlsCtx}
	for range cfg.rooms * cfg.publishers {
		l.clocks = append(l.clocks, newSendClock())
	}
	return l, nil
}

// bearer returns a bearer for userID: signed with -secret, else from the dev mode server.
func (l *load) bearer(ctx context.Context, userID, roomID string) (string, error) {
	if l.cfg.secret != "" {
		return auth.SignHS256([]byte(l.cfg.secret), userID, roomID, time.Now(), time.Hour)
	}
	return devBearer(ctx, l.cfg.url, userID)
}

// run sets every room up, lets the media settle for the warm-up, measures for the duration, and tears down.
func (l *load) run(ctx context.Context) (result, error) {
	var res result
	baseline, err := measureLoopback(2000)
	if err != nil {
		return res, fmt.Errorf("loopback baseline: %w", err)
	}
	res.baseline = baseline
	partCtx, stopParticipants := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer func() {
		stopParticipants()
		running.Wait()
		leaveCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, pt := range l.participants {
			if err := pt.leave(leaveCtx); err != nil {
				l.log.Warn("leave", "userId", pt.userID, "err", err)
			}
		}
		if err := l.dtlsCtx.Close(); err != nil {
			l.log.Warn("DTLS context", "err", err)
		}
	}()

	setupCtx, cancelSetup := context.WithTimeout(partCtx, l.cfg.setupTimeout)
	defer cancelSetup()
	setupStart := time.Now()
	for room := range l.cfg.rooms {
		roomID := fmt.Sprintf("mediaload-%d", room)
		size := l.cfg.publishers + l.cfg.listeners
		for k := range size {
			pubIndex, expect := -1, l.cfg.publishers
			if k < l.cfg.publishers {
				pubIndex, expect = room*l.cfg.publishers+k, l.cfg.publishers-1
			}
			pt := newParticipant(l, roomID, fmt.Sprintf("r%d-u%d", room, k), pubIndex, expect)
			l.participants = append(l.participants, pt)
			running.Add(1)
			go func() {
				defer running.Done()
				pt.run(partCtx, l.cfg.setupTimeout)
			}()
			if err := wait(setupCtx, pt.started); err != nil {
				return res, fmt.Errorf("%s joining %s: %w", pt.userID, roomID, err)
			}
		}
	}
	for _, pt := range l.participants {
		if err := wait(setupCtx, pt.ready); err != nil {
			return res, fmt.Errorf("%s receiving: %w", pt.userID, err)
		}
	}
	res.setup = time.Since(setupStart)
	l.log.Info("every stream flows", "participants", len(l.participants), "setup", res.setup.Round(time.Millisecond))

	if err := sleep(ctx, l.cfg.warmup); err != nil {
		return res, err
	}
	if err := l.measure(ctx, &res); err != nil {
		return res, err
	}
	return res, nil
}

// measure counts packets and latencies for the duration and reads the processes' CPU around it.
func (l *load) measure(ctx context.Context, res *result) error {
	var forwardBefore promHistogram
	if l.cfg.admin != "" {
		var err error
		if forwardBefore, err = scrapeForwarding(ctx, l.cfg.admin, l.cfg.adminToken); err != nil {
			return fmt.Errorf("the server's forwarding histogram: %w", err)
		}
	}
	serverBefore, serverErr := loadtool.ReadCPU(l.cfg.pid)
	toolBefore, toolErr := loadtool.ReadCPU(0)
	l.counting.Store(true)
	start := time.Now()
	err := sleep(ctx, l.cfg.duration)
	l.counting.Store(false)
	res.window = time.Since(start)
	if l.cfg.admin != "" {
		if res.transcode, err = transcodeGauges(ctx, l.cfg.admin, l.cfg.adminToken); err != nil {
			return fmt.Errorf("the server's transcoding gauges: %w", err)
		}
		forwardAfter, err := scrapeForwarding(ctx, l.cfg.admin, l.cfg.adminToken)
		if err == nil {
			var d promHistogram
			d, err = forwardAfter.sub(forwardBefore)
			res.forwarding = &d
		}
		if err != nil {
			return fmt.Errorf("the server's forwarding histogram: %w", err)
		}
	}
	if l.cfg.pid != 0 {
		serverAfter, err := loadtool.ReadCPU(l.cfg.pid)
		if err = errors.Join(serverErr, err); err != nil {
			return fmt.Errorf("server CPU: %w", err)
		}
		res.serverCPU = serverAfter.Sub(serverBefore)
	}
	toolAfter, err2 := loadtool.ReadCPU(0)
	if err := errors.Join(toolErr, err2); err != nil {
		return fmt.Errorf("tool CPU: %w", err)
	}
	res.toolCPU = toolAfter.Sub(toolBefore)
	return err
}

// collect adds up the participants' counters; call it after run has returned (the participants have left).
func (l *load) collect(res *result) {
	res.latency = newHistogram()
	res.streams = l.cfg.rooms * l.cfg.publishers * (l.cfg.publishers - 1 + l.cfg.listeners)
	receiversPerPublisher := uint64(l.cfg.publishers - 1 + l.cfg.listeners)
	for _, pt := range l.participants {
		if pt.pub != nil {
			res.sent += pt.pub.sent.Load()
			res.expected += pt.pub.sent.Load() * receiversPerPublisher
			res.keyframeRequests += pt.pub.requests.Load()
			res.nacks += pt.pub.nacks.Load()
			if e := pt.pub.lastError.Load(); e != nil {
				res.errors = append(res.errors, fmt.Sprintf("%s sending: %v", pt.userID, *e))
			}
		}
		for _, ls := range pt.listeners {
			res.received += ls.received
			res.unstamped += ls.unstamped
			res.failed += ls.failed
			res.latency.merge(ls.latency)
			if ls.lastError != nil {
				res.errors = append(res.errors, fmt.Sprintf("%s receiving: %v", pt.userID, ls.lastError))
			}
		}
		res.downs += pt.downs
	}
}

// wait returns what ch yields, or ctx's error first.
func wait(ctx context.Context, ch <-chan error) error {
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sleep waits for d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// measureLoopback times n datagrams from one loopback socket to another the way the listeners time the server's:
// the sender's clock just before the send, the receiver's kernel timestamp. It is the part of each measured
// latency that is not the server's.
func measureLoopback(n int) (*histogram, error) {
	recv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	defer recv.Close()
	if err := enableTimestamps(recv); err != nil {
		return nil, err
	}
	send, err := net.DialUDP("udp4", nil, recv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return nil, err
	}
	defer send.Close()
	h := newHistogram()
	payload := make([]byte, 1000)
	buf, oob := make([]byte, 1500), make([]byte, 128)
	for range n {
		sent := time.Now().UnixNano()
		if _, err := send.Write(payload); err != nil {
			return nil, err
		}
		if err := recv.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
			return nil, err
		}
		_, oobn, _, _, err := recv.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			return nil, err
		}
		at, ok := kernelTimestamp(oob[:oobn])
		if !ok {
			return nil, errors.New("the kernel gave no receive timestamp (SO_TIMESTAMPNS)")
		}
		h.add(time.Duration(at - sent))
		time.Sleep(500 * time.Microsecond) // as spread out as the media, not a burst
	}
	return h, nil
}
