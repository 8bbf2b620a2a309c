package congestion

import "time"

// Probing (libwebrtc's BitrateProber and ProbeBitrateEstimator): a probe cluster is a short burst sent at a target
// rate above the estimate; the rate at which the receiver got it shows whether the path carries the target.
const (
	// probeDuration is how long a cluster lasts at its target rate: 15 ms, libwebrtc's minimum. The bytes beyond
	// the path's capacity queue at the bottleneck, so a cluster adds at most about this much delay to the video
	// behind it, and it is over before a frame interval.
	probeDuration = 15 * time.Millisecond
	// minProbePackets: a cluster is at least 5 packets, and at least minProbeBytes, so that it can be measured.
	minProbePackets = 5
	minProbeBytes   = 1000
	// maxProbeBytes bounds a cluster whatever its target: 15 ms at 16 Mbit/s.
	maxProbeBytes = 30_000
	// maxProbePacket is the largest probe packet asked for: an RTX packet or a padding packet of a typical MTU.
	maxProbePacket = 1200
	// probeTimeout ends a cluster that the send loop did not fill (it stopped asking, or had nothing to send).
	probeTimeout = 100 * time.Millisecond
	// A result needs 80 % of the cluster's packets and bytes acknowledged; arrivals faster than twice the send rate
	// are not a measurement; a receive rate under 90 % of the send rate means the link saturated, and the result is
	// then 95 % of the receive rate, so that the estimate lands just below the capacity found.
	probeMinReceived        = 0.8
	probeMaxRatio           = 2.0
	probeSaturatedRatio     = 0.9
	probeTargetUtilization  = 0.95
	probeMaxInterval        = time.Second
	maxProbeClusters        = 8 // clusters remembered, for their feedback
	maxPendingProbeClusters = 3
)

// probeCluster is one cluster: its plan, what was sent of it, and what the feedback says.
type probeCluster struct {
	id     int
	target float64 // bit/s
	bytes  int     // planned

	started                 bool
	start                   time.Duration
	sentBytes, sentPackets  int
	done                    bool
	received, receivedBytes int
	firstSend, lastSend     time.Duration
	lastSendSize            int
	firstArrival            time.Duration
	lastArrival             time.Duration
	firstArrivalSize        int
	result                  float64 // bit/s, 0 before a valid result
	reported                bool    // the first result was acted on
}

// prober runs the clusters: a ring of the last clusters, the first not done being the active one.
type prober struct {
	clusters [maxProbeClusters]probeCluster
	nextID   int // ids start at 1, so that 0 means "not a probe"
	active   int // id of the cluster being sent, 0 for none
	pending  int // clusters requested and not started
}

func newProber() prober { return prober{nextID: 1} }

func (p *prober) cluster(id int) *probeCluster {
	if id <= 0 {
		return nil
	}
	c := &p.clusters[id%maxProbeClusters]
	if c.id != id {
		return nil
	}
	return c
}

// request plans a cluster at target bit/s; false when too many wait already.
func (p *prober) request(target float64) bool {
	if p.pending >= maxPendingProbeClusters {
		return false
	}
	bytes := int(target * probeDuration.Seconds() / 8)
	bytes = min(max(bytes, minProbeBytes), maxProbeBytes)
	p.clusters[p.nextID%maxProbeClusters] = probeCluster{id: p.nextID, target: target, bytes: bytes}
	p.nextID++
	p.pending++
	return true
}

// cancelPending drops the clusters not started yet (the path is congested).
func (p *prober) cancelPending() {
	for i := range p.clusters {
		if c := &p.clusters[i]; c.id != 0 && !c.started {
			c.started, c.done = true, true
		}
	}
	p.pending = 0
}

// current returns the cluster being sent at now, starting the next pending one if needed.
func (p *prober) current(now time.Duration) *probeCluster {
	if c := p.cluster(p.active); c != nil && !c.done {
		if now-c.start <= probeTimeout {
			return c
		}
		c.done = true
	}
	p.active = 0
	for id := p.nextID - p.pending; id < p.nextID; id++ {
		if c := p.cluster(id); c != nil && !c.started {
			p.pending = p.nextID - id - 1
			c.started, c.start = true, now
			p.active = id
			return c
		}
	}
	p.pending = 0
	return nil
}

// due returns the size of the probe packet to send at now (0 for none), and when to ask again (0 when no cluster
// is waiting).
func (p *prober) due(now time.Duration) (size int, wake time.Duration) {
	c := p.current(now)
	if c == nil {
		return 0, 0
	}
	packet := min(max(c.bytes/minProbePackets, 1), maxProbePacket)
	remaining := c.bytes - c.sentBytes
	if remaining <= 0 {
		remaining = packet // the bytes went out in fewer packets than a measurement needs
	}
	// Each packet leaves when the bytes before it have taken their time at the target rate.
	at := c.start + time.Duration(float64(c.sentBytes)*8/c.target*float64(time.Second))
	if now < at {
		return 0, at
	}
	return min(packet, remaining), now
}

// onSent counts a packet leaving at now toward the active cluster and returns the cluster's id, 0 for none.
func (p *prober) onSent(size int, now time.Duration) int {
	c := p.cluster(p.active)
	if c == nil || c.done || now-c.start > probeTimeout {
		return 0
	}
	c.sentBytes += size
	c.sentPackets++
	if c.sentBytes >= c.bytes && c.sentPackets >= minProbePackets {
		c.done = true
	}
	return c.id
}

// onResult takes a received packet of a cluster and returns the cluster when it has a result.
func (p *prober) onResult(r *packetResult) *probeCluster {
	c := p.cluster(r.Cluster)
	if c == nil || !r.Received {
		return nil
	}
	if c.received == 0 || r.SendTime < c.firstSend {
		c.firstSend = r.SendTime
	}
	if c.received == 0 || r.SendTime > c.lastSend {
		c.lastSend, c.lastSendSize = r.SendTime, r.Size
	}
	if c.received == 0 || r.Arrival < c.firstArrival {
		c.firstArrival, c.firstArrivalSize = r.Arrival, r.Size
	}
	if c.received == 0 || r.Arrival > c.lastArrival {
		c.lastArrival = r.Arrival
	}
	c.received++
	c.receivedBytes += r.Size
	// A cluster shows that the path carries its target, not more: media sent in its span (a pacer's burst) can
	// make it leave, and arrive through a token bucket, far faster.
	c.result = min(c.measure(), c.target)
	if c.result == 0 {
		return nil
	}
	return c
}

// measure is the rate the cluster shows, 0 when it cannot tell yet.
func (c *probeCluster) measure() float64 {
	if float64(c.received) < probeMinReceived*minProbePackets ||
		float64(c.receivedBytes) < probeMinReceived*float64(c.bytes) {
		return 0
	}
	sendInterval := c.lastSend - c.firstSend
	receiveInterval := c.lastArrival - c.firstArrival
	if sendInterval <= 0 || sendInterval > probeMaxInterval || receiveInterval <= 0 ||
		receiveInterval > probeMaxInterval {
		return 0
	}
	// The intervals run from the first packet to the last, so one packet's bytes are outside each of them.
	sendRate := float64(c.receivedBytes-c.lastSendSize) * 8 / sendInterval.Seconds()
	receiveRate := float64(c.receivedBytes-c.firstArrivalSize) * 8 / receiveInterval.Seconds()
	if sendRate <= 0 || receiveRate/sendRate > probeMaxRatio {
		return 0
	}
	if receiveRate < probeSaturatedRatio*sendRate {
		return probeTargetUtilization * receiveRate
	}
	return min(sendRate, receiveRate)
}
