package media

import "time"

// A receiver's video is the publisher's own stream (forwarded) or a transcoded tier: choice is forwarded or the
// index of a tier in the ladder, 0 the best.
const forwarded = -1

// The policy's constants. A browser's estimate never climbs far above what it receives (libwebrtc caps a REMB at
// 1.5 times the received rate plus 10 kbit/s, and near the capacity it last saw it grows by about a packet per
// round trip), so it cannot show room for the next tier before getting it: the next tier is a probe, tried once
// the estimate has cleared what the receiver gets now (an encoder sends less than its tier's bitrate on a small or
// simple picture) by upMargin and reaches the next tier's floor, without loss, for the hold. The next tier's encoder
// starts at the estimate, so a probe changes the picture size, not the load on the link; the larger picture then
// uses the bitrate, and the estimate grows if the link has room. A probe that fails (a fall within
// failedUpWindow) doubles the hold.
//
// A receiver that negotiated transport-cc is probed instead (issue 14): its send-side estimate can measure what the
// path carries above what it receives, so after the same hold the policy asks for a probe cluster at probeMargin
// times the next option's rate, and moves up only once a probe result newer than the request has come and the
// estimate carries the next option's rate. A probe that gives no such result within probeTimeout, or whose estimate
// stays below, is a failed climb: the hold doubles, and the receiver's picture never changed.
const (
	// downRatio places an option's floor below the next option's rate: a receiver whose estimate dips a little
	// under a tier's bitrate keeps its picture size, its encoder following the estimate.
	downRatio = 0.75
	upMargin  = 1.1
	upHold    = 3 * time.Second
	// maxUpHold bounds the hold, which doubles each time a climb fails (a fall within failedUpWindow of it).
	maxUpHold      = 48 * time.Second
	failedUpWindow = 10 * time.Second
	// lossDown is the loss fraction that, sustained for lossHold, moves a receiver one option down; a climb needs
	// less than lossUp.
	lossDown = 0.10
	lossHold = 2 * time.Second
	lossUp   = 0.02
	// probeMargin: the probe is sent a little above the next option's rate, so that a path that just carries it
	// measures at or above it. probeTimeout bounds the wait for the result (a cluster too lossy to measure gives
	// none).
	probeMargin  = 1.2
	probeTimeout = 2 * time.Second
	// startGrace: a transport-cc estimate starts at the estimator's start bitrate (300 kbit/s) and climbs through
	// its probes, or by 8 % a second when they measure nothing: until it has once carried the receiver's option, a
	// receiver without loss is not moved down on it, for up to this long after its first value (every receiver of
	// a busy publisher went to a tier at its start, and came back 10 s later after a failed climb that doubled its
	// hold).
	startGrace = 10 * time.Second
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
	// currentRate is the bitrate the receiver gets now, in bit/s; 0 unknown: the current option's is assumed.
	currentRate uint64
	// probing: the receiver negotiated transport-cc, so a climb waits for a probe; probedAt is when the
	// estimator's last probe result came (congestion.SendSide.LastProbe), valid when probed.
	probing  bool
	probed   bool
	probedAt time.Duration
}

// policyState is what the policy remembers of a receiver between two calls.
type policyState struct {
	headroom, lossy           bool
	headroomSince, lossySince time.Duration
	climbed                   bool
	lastUp, lastDown          time.Duration
	hold                      time.Duration
	// askedAt is when the probe before a climb was asked for, 0 none pending; askProbe, set only by the call that
	// asks, is the rate the caller requests the probe at (downlink.requestProbe).
	askedAt  time.Duration
	askProbe uint64
	// estimatedAt is when the first estimate came, plus 1 (0: none yet); carried: an estimate has reached the
	// floor of the receiver's option since.
	estimatedAt time.Duration
	carried     bool
}

// choose is the per-receiver policy, a pure function: the receiver's next choice, why it changes ("" when it does
// not), and the state for the next call. It moves down at once when the estimate falls below what the current
// option needs (its floor, downRatio of the next option's rate: the band each option serves), or one step after
// loss sustained for lossHold; it moves up one step only after upHold of headroom, a hold that doubles after each
// failed climb.
func choose(in policyInput, st policyState) (int, string, policyState) {
	if st.hold == 0 {
		st.hold = upHold
	}
	st.askProbe = 0
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
			return uint64(downRatio * float64(rates[k+1]))
		}
		return 0
	}
	getting := in.currentRate
	if getting == 0 {
		getting = rates[cur]
	}
	next, reason := cur, ""
	st.lossy, st.lossySince = lossTrack(st, in)
	if in.hasEstimate && st.estimatedAt == 0 {
		st.estimatedAt = in.now + 1
	}
	st.carried = st.carried || in.hasEstimate && in.estimate >= floor(cur)
	settling := in.probing && !st.carried && in.now+1-st.estimatedAt < startGrace && in.loss < lossUp
	switch {
	case in.hasEstimate && in.estimate < floor(cur) && !settling:
		next, reason = cur+1, "estimate"
		for floor(next) > in.estimate {
			next++
		}
	case st.lossy && in.now-st.lossySince >= lossHold && cur+1 < len(rates):
		next, reason = cur+1, "loss"
		st.lossySince = in.now
	case cur > 0 && in.hasEstimate && in.loss < lossUp &&
		float64(in.estimate) >= max(upMargin*float64(getting), float64(floor(cur-1))):
		if !st.headroom {
			st.headroom, st.headroomSince = true, in.now
		}
		if in.now-st.headroomSince >= st.hold {
			next, reason, st = climb(in, st, rates, cur)
		}
	default:
		st.headroom, st.askedAt = false, 0
	}
	switch {
	case next > cur:
		if st.climbed && in.now-st.lastUp < failedUpWindow {
			st.hold = min(2*st.hold, maxUpHold)
		}
		st.climbed, st.headroom, st.lastDown, st.askedAt = false, false, in.now, 0
	case next < cur:
		if in.now-st.lastDown > maxUpHold {
			st.hold = upHold
		}
		st.climbed, st.headroom, st.lastUp, st.askedAt = true, false, in.now, 0
	}
	return next - offset, reason, st
}

// climb decides the up-switch from option cur once the headroom has held: one step at once for a REMB receiver; for a
// transport-cc receiver, once its estimate carries the next option's rate (asking for a probe first when it does
// not), or never when the probe fails (the hold then doubles, as after a failed climb). A transport-cc estimate
// measures the path, not only what the receiver gets, so such a receiver goes straight to the best option its
// estimate carries: after a link recovers, one hold instead of one per step.
func climb(in policyInput, st policyState, rates []uint64, cur int) (int, string, policyState) {
	up := rates[cur-1]
	measured := st.askedAt != 0 && in.probed && in.probedAt >= st.askedAt
	switch {
	case !in.probing:
		return cur - 1, "headroom", st
	case in.estimate >= up && st.askedAt == 0:
		return carried(in.estimate, rates, cur), "headroom", st
	case measured && in.estimate >= up:
		return carried(in.estimate, rates, cur), "probe", st
	case st.askedAt == 0:
		// The request's time is kept as at least 1: 0 means none pending.
		st.askedAt, st.askProbe = max(in.now, 1), uint64(probeMargin*float64(up))
	case measured, in.now-st.askedAt >= probeTimeout:
		st.askedAt, st.headroom = 0, false
		st.hold = min(2*st.hold, maxUpHold)
	}
	return cur, "", st
}

// carried is the best option above cur whose rate estimate carries (cur-1 at least: the caller checked it).
func carried(estimate uint64, rates []uint64, cur int) int {
	next := cur - 1
	for next > 0 && estimate >= rates[next-1] {
		next--
	}
	return next
}

// guardFallback is where a receiver goes when the encoder budget refuses the tier want that the policy chose for it
// (docs/OPERATIONS.md, "The guard"): to the running tier of its codec nearest want (lower first at equal steps:
// cheaper for its link), or, with none running, where it is. A receiver left on the publisher's own stream when
// it needed a tier is over its link: overLink tells the caller to let its estimate cap the publisher's bitrate
// again, as without transcoding (everyone's picture falls to what it can take, but it keeps a picture that moves),
// until a tier can be had or its estimate carries the forwarded stream.
func guardFallback(current, want int, running []int) (next int, overLink bool) {
	next = current
	for i, k := range running {
		if i == 0 || tierDistance(k, want) < tierDistance(next, want) {
			next = k
		}
	}
	return next, next == forwarded && want != forwarded
}

// tierDistance orders tiers by how close they are to want, lower tiers (cheaper for the receiver) first at equal
// steps.
func tierDistance(k, want int) int {
	if k >= want {
		return 2 * (k - want)
	}
	return 2*(want-k) + 1
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

// encoderBitrate is the bitrate of a tier's encoder: the lowest estimate among its receivers (encoderShare of it, or
// lossyShare when one of them loses packets), within the tier's range: from a quarter of its bitrate to its
// bitrate.
func encoderBitrate(tiers []Tier, i int, lowest uint64, known, lossy bool) int {
	hi := tiers[i].Bitrate
	lo := hi / 4
	if !known {
		return hi
	}
	share := encoderShare
	if lossy {
		share = lossyShare
	}
	return min(max(int(float64(lowest)*share), lo), hi)
}

// encoderShare is the part of a receiver's estimate its video encoder takes. The whole of it: libwebrtc's receive-side
// estimator grows by about a packet per round trip while what it receives stays under the capacity it last saw, so a
// tier sent below the estimate would keep it there for tens of seconds after a link recovers; sent at the estimate,
// the audio on top, its receiver sees more than that capacity and grows its estimate by 8 % a second again.
const encoderShare = 1.0

// lossyShare is the share when a receiver loses lossUp or more: its link is full, and the audio must fit beside the
// video.
const lossyShare = 0.8
