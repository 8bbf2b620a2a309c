package transcode

import (
	"sync"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// rtpClock is the rate of the video RTP clock.
const rtpClock = 90_000

// frameClock turns a publisher's RTP timestamps into the timestamps of the frames pushed into GStreamer: time since
// the first frame, on the 90 kHz clock converted to nanoseconds, which decoders and encoders carry through to
// their output unchanged.
type frameClock struct {
	unwrap  rtp.TimestampUnwrapper
	base    int64
	started bool
	last    time.Duration
}

// pts returns the frame's timestamp; ok is false for a frame not after the previous one (a sender's jump back).
func (c *frameClock) pts(ts uint32) (pts time.Duration, ok bool) {
	u := c.unwrap.Unwrap(ts)
	if !c.started {
		c.started, c.base = true, u
		return 0, true
	}
	pts = ticksToDuration(u - c.base)
	if pts <= c.last {
		return 0, false
	}
	c.last = pts
	return pts, true
}

// ticksToDuration converts 90 kHz ticks to a duration without overflowing for any realistic stream length.
func ticksToDuration(ticks int64) time.Duration {
	return time.Duration(ticks/rtpClock)*time.Second + time.Duration(ticks%rtpClock)*time.Second/rtpClock
}

// durationToTicks is the inverse of ticksToDuration, rounding to the nearest tick.
func durationToTicks(d time.Duration) int64 {
	sec, rest := int64(d/time.Second), d%time.Second
	return sec*rtpClock + int64((rest*rtpClock+time.Second/2)/time.Second)
}

// pushRecord is what a decoder remembers of a frame it pushed, until the encoders' output shows it again.
type pushRecord struct {
	pts      time.Duration
	pushed   time.Duration // gst.Now clock
	sourceTS uint32
	used     bool
}

// pushTimes pairs the encoders' output with the decoder's input by timestamp (decoders and encoders keep the
// PTS), to time each frame and carry the publisher's RTP timestamp through. It holds the latest pushRecords
// frames, two seconds at 30 frames per second: far more than an encoder's lag.
type pushTimes struct {
	mu      sync.Mutex
	records [pushRecords]pushRecord
	next    int
}

const pushRecords = 64

func (p *pushTimes) record(pts, pushed time.Duration, sourceTS uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records[p.next] = pushRecord{pts: pts, pushed: pushed, sourceTS: sourceTS, used: true}
	p.next = (p.next + 1) % pushRecords
}

// find returns the record of the frame with this timestamp. Without one (a frame older than the records), it
// derives the source timestamp from the latest record, and ok is false.
func (p *pushTimes) find(pts time.Duration) (r pushRecord, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.records {
		if p.records[i].used && p.records[i].pts == pts {
			return p.records[i], true
		}
	}
	r = p.records[(p.next+pushRecords-1)%pushRecords]
	r.sourceTS += uint32(durationToTicks(pts - r.pts))
	r.pts = pts
	return r, false
}
