package main

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// Shape of the synthetic media: Opus-sized audio packets every 20 ms; VP8 frames cut into packets of at most
// maxPayload bytes, keyframes keyframeScale times the size of other frames.
const (
	audioInterval  = 20 * time.Millisecond
	audioPayload   = 80
	maxPayload     = 1100
	keyframeScale  = 3
	keyframeRepeat = 2 * time.Second
)

// mediaShape is what publishers send.
type mediaShape struct {
	videoBitrate int // bit/s
	fps          int
	// pacing is how much faster than the video bit rate packets may leave; 0 sends each frame at once.
	pacing float64
}

// publisher plays a participant's camera and microphone on its upstream peer: stamped packets whose send times go
// to its sendClock, keyframes when the server asks (PLI, FIR) and every keyframeRepeat.
type publisher struct {
	index    uint32
	peer     *peer
	clock    *sendClock
	ssrcs    publisherSSRCs
	audioPT  uint8
	videoPT  uint8
	shape    mediaShape
	counting *atomic.Bool

	keyframe  atomic.Bool // asked for by the server
	sent      atomic.Uint64
	requests  atomic.Uint64 // PLI and FIR received
	nacks     atomic.Uint64
	nextID    uint32
	seq       [2]uint16 // audio, video
	header    rtp.Header
	buf       []byte
	lastError atomic.Pointer[error]
}

func newPublisher(index uint32, p *peer, clock *sendClock, ssrcs publisherSSRCs, audioPT, videoPT uint8,
	shape mediaShape, counting *atomic.Bool) *publisher {
	return &publisher{index: index, peer: p, clock: clock, ssrcs: ssrcs, audioPT: audioPT, videoPT: videoPT,
		shape: shape, counting: counting, buf: make([]byte, 0, rtp.FixedHeaderSize+maxPayload+srtp.MaxRTPOverhead)}
}

// send plays the media until ctx ends. Video packets wait in a queue for their turn: with pacing, a packet
// leaves when the previous one would have at pacing times the video bit rate, as browsers pace their video.
func (p *publisher) send(ctx context.Context) {
	frameInterval := time.Second / time.Duration(p.shape.fps)
	frameBytes := p.shape.videoBitrate / 8 / p.shape.fps
	start := time.Now()
	nextAudio, nextFrame, nextKeyframe, nextPacket := start, start, start, start
	var queue []videoPacket
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		for !now.Before(nextAudio) {
			nextAudio = nextAudio.Add(audioInterval)
			p.sendAudio(nextAudio.Sub(start))
		}
		for !now.Before(nextFrame) {
			nextFrame = nextFrame.Add(frameInterval)
			key := p.keyframe.Swap(false) || !now.Before(nextKeyframe)
			if key {
				nextKeyframe = now.Add(keyframeRepeat)
			}
			queue = appendFrame(queue, key, frameBytes, uint32(nextFrame.Sub(start)*90000/time.Second))
		}
		for len(queue) > 0 && !now.Before(nextPacket) {
			v := queue[0]
			queue = queue[1:]
			p.sendPacket(1, p.videoPT, p.ssrcs.video, v.ts, v.marker, v.prefix, v.filler)
			if nextPacket.Before(now) {
				nextPacket = now
			}
			nextPacket = nextPacket.Add(p.shape.packetGap(len(v.prefix) + v.filler + stampSize))
		}
		wake := earliest(nextAudio, nextFrame)
		if len(queue) > 0 {
			wake = earliest(wake, nextPacket)
		}
		timer.Reset(time.Until(wake))
	}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// packetGap is the time a packet of size bytes takes at the pacing rate; 0 without pacing.
func (s mediaShape) packetGap(size int) time.Duration {
	if s.pacing <= 0 {
		return 0
	}
	return time.Duration(float64(size*8) / (s.pacing * float64(s.videoBitrate)) * float64(time.Second))
}

// videoPacket is a video packet waiting for its turn: its payload is prefix, filler zero bytes, and the stamp.
type videoPacket struct {
	prefix []byte
	filler int
	ts     uint32
	marker bool
}

// appendFrame appends the packets of one VP8 frame of about size bytes (keyframes keyframeScale times more).
func appendFrame(queue []videoPacket, key bool, size int, ts uint32) []videoPacket {
	prefix := vp8Interframe
	if key {
		prefix, size = vp8Keyframe, size*keyframeScale
	}
	for {
		n := min(size, maxPayload-len(prefix)-stampSize)
		size -= n
		queue = append(queue, videoPacket{prefix: prefix, filler: n, ts: ts, marker: size == 0})
		if size == 0 {
			return queue
		}
		prefix = vp8Next
	}
}

// Prefixes of the synthetic payloads.
var (
	opusTOC = []byte{0xfc} // a 20 ms CELT fullband frame
	// VP8 payload descriptor (start of partition 0) and frame tag with P=0 (key frame) and show_frame, then the
	// start code and 640x480: what the server looks for to start a listener.
	vp8Keyframe   = []byte{0x10, 0x10, 0x08, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}
	vp8Interframe = []byte{0x10, 0x11, 0x08, 0x00} // P=1
	vp8Next       = []byte{0x00}                   // descriptor of a packet that continues the frame
	zeros         [maxPayload]byte
)

func (p *publisher) sendAudio(at time.Duration) {
	p.sendPacket(0, p.audioPT, p.ssrcs.audio, uint32(at*48000/time.Second), true, opusTOC, audioPayload-1)
}

// sendPacket sends one packet of stream (0 audio, 1 video): prefix, filler zero bytes and the stamp, protected.
func (p *publisher) sendPacket(stream int, pt uint8, ssrc, ts uint32, marker bool, prefix []byte, filler int) {
	p.nextID++
	p.header = rtp.Header{Marker: marker, PayloadType: pt, SequenceNumber: p.seq[stream], Timestamp: ts, SSRC: ssrc}
	p.seq[stream]++
	b, err := p.header.AppendBinary(p.buf[:0])
	if err == nil {
		b = appendStamp(append(append(b, prefix...), zeros[:filler]...), p.index, p.nextID)
		b, err = p.peer.out.ProtectRTP(b)
	}
	if err == nil {
		p.clock.set(p.nextID, time.Now().UnixNano())
		err = p.peer.send(b)
	}
	if err != nil {
		p.lastError.Store(&err)
		return
	}
	if p.counting.Load() {
		p.sent.Add(1)
	}
}

// receive reads what the server sends the publisher (RTCP: keyframe requests, NACKs, reports) and keeps consent,
// until the socket is closed.
func (p *publisher) receive() {
	reader := rtcp.NewReader(nil, rtcp.ReducedSize)
	for {
		b, _, err := p.peer.read(p.peer.nextConsent)
		if isTimeout(err) {
			if err := p.peer.keepConsent(time.Now()); err != nil {
				p.lastError.Store(&err)
			}
			continue
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.lastError.Store(&err)
			}
			return
		}
		if transport.Classify(b) != transport.KindRTCP {
			continue
		}
		pkt, err := p.peer.in.UnprotectRTCP(b)
		if err != nil {
			continue
		}
		reader.Reset(pkt, rtcp.ReducedSize)
		for reader.Next() {
			switch reader.Kind() {
			case rtcp.KindPLI, rtcp.KindFIR:
				p.requests.Add(1)
				p.keyframe.Store(true)
			case rtcp.KindNACK:
				p.nacks.Add(1)
			}
		}
	}
}
