package media

import "time"

// A receiver's video is the publisher's own stream (forwarded) or a transcoded tier: choice is forwarded or the
// index of a tier in the ladder, 0 the best.
const forwarded = -1

// The policy's constants. Browsers' estimates never climb far above what they receive (libwebrtc caps a REMB at
// 1.5 times the received rate plus 10 kbit/s), so a receiver on a tier can show at most about half again the tier's
// bitrate: the next tier up is tried once the estimate reaches upRatio of its bitrate, held for upHold.
const (
	upRatio = 0.6
	// upMargin: the estimate must also clear the next option's floor (the current option's rate) by 10 %.
	upMargin = 1.1
	upHold   = 3 * time.Second
	// maxUpHold bounds the hold, which doubles each time a climb fails (a fall within failedUpWindow of it).
	maxUpHold      = 48 * time.Second
	failedUpWindow = 10 * time.Second
	// lossDown is the loss fraction that, sustained for lossHold, moves a receiver one option down; a climb needs
	// less than lossUp.
	lossDown = 0.10
	lossHold = 2 * time.Second
	lossUp   = 0.02
)

// policyInput is what the policy knows of one receiver at one moment.
type policyInput struct {
	now time.Duration
	// estimate is the receiver's bandwidth estimate in bit/s, valid when hasEstimate.
	estimate    uint64
	hasEstimate bool
	loss        float64
	// forwardable: the receiver decodes the publisher's codec, so it may take the publisher's own stream, whose
	// bitrate is forwardRate (0 unknown: the best tier's is assumed).
	forwardable bool
	forwardRate uint64
	// tiers are the ladder's bitrates, best first.
	tiers   []uint64
	current int
}

// policyState is what the policy remembers of a receiver between two calls.
type policyState struct {
	headroom, lossy           bool
	headroomSince, lossySince time.Duration
	climbed                   bool
	lastUp, lastDown          time.Duration
	hold                      time.Duration
}

// choose is the per-receiver policy, a pure function: the receiver's next choice, why it changes ("" when it does
// not), and the state for the next call. It moves down at once when the estimate falls below what the current
// option needs (the next option's rate: the band each option serves), or one step after loss sustained for
// lossHold; it moves up one step only after upHold of headroom, a hold that doubles after each failed climb.
func choose(in policyInput, st policyState) (int, string, policyState) {
	if st.hold == 0 {
		st.hold = upHold
	}
	rates := make([]uint64, 0, len(in.tiers)+1)
	offset := 0 // option index = choice + offset
	if in.forwardable {
		fwd := in.forwardRate
		if fwd == 0 && len(in.tiers) > 0 {
			fwd = in.tiers[0]
		}
		rates, offset = append(rates, fwd), 1
	}
	rates = append(rates, in.tiers...)
	if len(rates) == 0 {
		return in.current, "", st
	}
	cur := min(max(in.current+offset, 0), len(rates)-1)
	floor := func(k int) uint64 {
		if k+1 < len(rates) {
			return rates[k+1]
		}
		return 0
	}
	next, reason := cur, ""
	st.lossy, st.lossySince = lossTrack(st, in)
	switch {
	case in.hasEstimate && in.estimate < floor(cur):
		next, reason = cur+1, "estimate"
		for floor(next) > in.estimate {
			next++
		}
	case st.lossy && in.now-st.lossySince >= lossHold && cur+1 < len(rates):
		next, reason = cur+1, "loss"
		st.lossySince = in.now
	case cur > 0 && in.hasEstimate && in.loss < lossUp &&
		float64(in.estimate) >= max(upRatio*float64(rates[cur-1]), upMargin*float64(rates[cur])):
		if !st.headroom {
			st.headroom, st.headroomSince = true, in.now
		}
		if in.now-st.headroomSince >= st.hold {
			next, reason = cur-1, "headroom"
		}
	default:
		st.headroom = false
	}
	switch {
	case next > cur:
		if st.climbed && in.now-st.lastUp < failedUpWindow {
			st.hold = min(2*st.hold, maxUpHold)
		}
		st.climbed, st.headroom, st.lastDown = false, false, in.now
	case next < cur:
		if in.now-st.lastDown > maxUpHold {
			st.hold = upHold
		}
		st.climbed, st.headroom, st.lastUp = true, false, in.now
	}
	return next - offset, reason, st
}

// lossTrack follows how long the loss has stayed at or above lossDown.
func lossTrack(st policyState, in policyInput) (bool, time.Duration) {
	if in.loss < lossDown {
		return false, 0
	}
	if !st.lossy {
		return true, in.now
	}
	return true, st.lossySince
}

// encoderBitrate is the bitrate of a tier's encoder: the lowest estimate among its receivers, less a margin for
// the audio and the headers that share their links, within the tier's range: from the next tier's bitrate (a
// quarter of its own for the last) to its own.
func encoderBitrate(tiers []Tier, i int, lowest uint64, known bool) int {
	hi := tiers[i].Bitrate
	lo := hi / 4
	if i+1 < len(tiers) {
		lo = tiers[i+1].Bitrate
	}
	if !known {
		return hi
	}
	return min(max(int(float64(lowest)*encoderShare), lo), hi)
}

// encoderShare is the part of a receiver's estimate its video encoder takes: the rest is for its audio and the
// packets' headers.
const encoderShare = 0.8
