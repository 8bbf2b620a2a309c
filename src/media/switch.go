package media

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// Switching moves a downtrack from one source to another (the publisher's own stream to a transcoded tier, a tier to
// another, or back) on a keyframe of the new source, with no gap for the receiver: until that keyframe the old
// source keeps feeding it, and the keyframe continues its stream.
//
// A downtrack's forwarding state (send history, rewriters, SR counters) belongs to the goroutine of its source's
// feeder. During a switch two feeders need it: the old one goes on forwarding, the new one waits for its keyframe,
// then takes over. They share the state under the downtrack's switchMu, which the usual path never takes:
//
//  1. switchSource sets the route {from: old, to: new} and adds the downtrack to new's list.
//  2. The old feeder sees the pending route at its next packet for the downtrack: from then on it forwards to it
//     under switchMu, and records the route it saw (acked).
//  3. The new feeder, at a keyframe of its source, takes switchMu; if the route it finds is the one the old feeder
//     acknowledged, it makes itself the route's only source and forwards the keyframe as the continuation of the
//     stream: sequence number and timestamp (rtp.Rewriter.Switch, with the time since the last packet as the
//     timestamp step) and, for VP8, picture ID and TL0PICIDX (codecs.VP8PictureRewriter).
//  4. The old feeder then finds a route that is not its own and skips the downtrack, which the new feeder takes off
//     the old source's list.
//
// The acknowledgement makes step 3 safe: before it the old feeder may be forwarding without the lock. A switch
// therefore completes at the first keyframe of the new source after the old source's next packet. Retransmission
// requests follow the route: one queued to a feeder that no longer feeds the downtrack is passed on to the one that
// does, and the downtrack's history, which holds what the receiver got from both sources under its own sequence
// numbers, answers it. SRs skip a downtrack while its switch is pending.

// route is where a downtrack's packets come from: the source that feeds it and, while a switch is pending, the
// source that takes over at its next keyframe. A route is never modified: a downtrack's is replaced, under its
// switchMu.
type route struct {
	from, to *source
}

// Errors of switchSource.
var (
	errSwitchDetached     = errors.New("media: downtrack not attached")
	errSwitchIncompatible = errors.New("media: source of another kind or codec")
)

// switchSource moves d onto the source to, at to's next keyframe; until then d's current source keeps feeding it.
// Switching d to its current source cancels a pending switch. to must carry the kind and codec (name and clock
// rate) of d's current source. Safe from any goroutine; the policy that chooses sources is the caller's.
func (fw *forwarder) switchSource(d *downtrack, to *source, now time.Duration) error {
	askKeyframe, err := fw.reroute(d, to)
	if err != nil {
		return err
	}
	if askKeyframe {
		to.origin.requestKeyframe(now)
	}
	return nil
}

// reroute sets d's pending route to to; it reports whether to now waits for a keyframe.
func (fw *forwarder) reroute(d *downtrack, to *source) (bool, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if d.downlink.feed.Load() != d.feed {
		return false, errSwitchDetached
	}
	d.switchMu.Lock()
	defer d.switchMu.Unlock()
	r := d.route.Load()
	if err := compatible(r.from, to); err != nil {
		return false, err
	}
	next := &route{from: r.from, to: to}
	if to == r.from {
		next.to = nil
	}
	if next.to == r.to {
		return false, nil // nothing changes
	}
	if r.to != nil {
		r.to.remove(d)
	}
	if next.to != nil {
		next.to.add(d)
	}
	d.setRoute(next)
	return next.to != nil, nil
}

// compatible checks that a downtrack fed by from can be fed by to: same kind, same codec on the same clock.
func compatible(from, to *source) error {
	if from.kind != to.kind || !strings.EqualFold(from.codec.Name, to.codec.Name) ||
		from.codec.ClockRate != to.codec.ClockRate {
		return fmt.Errorf("%w: %s %s/%d to %s %s/%d", errSwitchIncompatible, from.kind, from.codec.Name,
			from.codec.ClockRate, to.kind, to.codec.Name, to.codec.ClockRate)
	}
	return nil
}

// forwardSwitching is fanOut for a downtrack whose route is not s alone: s is the old source of a pending switch,
// its new source, or neither any more. It reports whether the downtrack waits for a keyframe of s.
func (s *source) forwardSwitching(d *downtrack, r *route, pkt []byte, h *rtp.Header, payloadOffset int, keyframe bool,
	now time.Duration) bool {
	switch {
	case r.from == s:
		d.switchMu.Lock()
		defer d.switchMu.Unlock()
		r = d.route.Load()
		if r.from != s {
			return false
		}
		d.acked = r
		d.prepareSwitch()
		d.forward(pkt, h, payloadOffset, keyframe, now)
		return d.waitingKeyframe
	case r.to == s:
		return !keyframe || !s.takeOver(d, pkt, h, payloadOffset, now)
	}
	return false
}

// takeOver makes s the only source of d, at a keyframe of s, once the old source's feeder has acknowledged the
// switch; it reports whether it did.
func (s *source) takeOver(d *downtrack, pkt []byte, h *rtp.Header, payloadOffset int, now time.Duration) bool {
	d.switchMu.Lock()
	r := d.route.Load()
	took := r.to == s && d.acked == r
	if took {
		d.setRoute(&route{from: s})
		d.acked = nil
		d.continueOnKeyframe()
		d.forward(pkt, h, payloadOffset, true, now)
	}
	d.switchMu.Unlock()
	if took {
		s.feeder.fwd.release(d, r.from)
	}
	return took
}

// release takes d off old's list, unless d is back on its route.
func (fw *forwarder) release(d *downtrack, old *source) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if r := d.route.Load(); r.from != old && r.to != old {
		old.remove(d)
	}
}

// prepareSwitch readies d, on its old source's goroutine, for a switch: a VP8 downtrack starts following its
// picture IDs, which the new source's will continue.
func (d *downtrack) prepareSwitch() {
	if d.vp8 == nil && d.pictureIDs {
		d.vp8 = &codecs.VP8PictureRewriter{}
	}
}

// continueOnKeyframe makes the next packet, a keyframe of the new source, continue d's stream.
func (d *downtrack) continueOnKeyframe() {
	d.waitingKeyframe = true
	if d.vp8 != nil {
		d.vp8.Switch()
	}
}

// fedBy reports whether s alone feeds d: its feeder then touches d without a lock.
func (d *downtrack) fedBy(s *source) bool { return d.alone.Load() == s }

// setRoute gives d the route r; called with switchMu held, or before d is shared.
func (d *downtrack) setRoute(r *route) {
	d.route.Store(r)
	if r.to == nil {
		d.alone.Store(r.from)
	} else {
		d.alone.Store(nil)
	}
}
