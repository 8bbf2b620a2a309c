package congestion

import (
	"math"
	"testing"
	"time"
)

// sendCluster plays the send loop: it asks the prober at every wake and sends what it is told.
func sendCluster(p *prober, from time.Duration) (bytes, packets int, end time.Duration) {
	now := from
	for range 1000 {
		size, wake := p.due(now)
		if size > 0 {
			p.onSent(size, now)
			bytes += size
			packets++
			end = now
			continue
		}
		if wake == 0 {
			break
		}
		now = wake
	}
	return bytes, packets, end
}

func TestProberSchedule(t *testing.T) {
	tests := []struct {
		name        string
		target      float64
		wantBytes   int
		wantPackets int
	}{
		{"1 Mbit/s: 15 ms of it", 1e6, 1875, 5},
		{"100 kbit/s: the minimum size", 100e3, minProbeBytes, 5},
		{"20 Mbit/s: the maximum size", 20e6, maxProbeBytes, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProber()
			if !p.request(tt.target) {
				t.Fatal("request refused")
			}
			bytes, packets, end := sendCluster(&p, time.Second)
			if bytes != tt.wantBytes || packets != tt.wantPackets {
				t.Errorf("sent %d bytes in %d packets, want %d in %d", bytes, packets, tt.wantBytes, tt.wantPackets)
			}
			// The last packet leaves when the others took their time at the target rate.
			lastSize := bytes - (packets-1)*(bytes/packets)
			want := time.Duration(float64(bytes-lastSize) * 8 / tt.target * float64(time.Second))
			if d := end - time.Second - want; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("cluster lasted %v, want %v", end-time.Second, want)
			}
			if size, wake := p.due(end + time.Second); size != 0 || wake != 0 {
				t.Errorf("after the cluster, due = %d, %v", size, wake)
			}
		})
	}
}

func TestProberMediaCounts(t *testing.T) {
	p := newProber()
	p.request(1e6)
	if size, _ := p.due(0); size == 0 {
		t.Fatal("no first probe packet")
	}
	// A media packet of the whole cluster's size leaves first: the cluster needs only the packets it lacks.
	if id := p.onSent(2000, 0); id != 1 {
		t.Fatalf("media packet counted for cluster %d, want 1", id)
	}
	_, packets, _ := sendCluster(&p, 0)
	if packets != minProbePackets-1 {
		t.Errorf("%d probe packets after a large media packet, want %d", packets, minProbePackets-1)
	}
}

func TestProberTimeoutAndQueue(t *testing.T) {
	p := newProber()
	for i := range maxPendingProbeClusters {
		if !p.request(1e6 * float64(i+1)) {
			t.Fatalf("request %d refused", i)
		}
	}
	if p.request(5e6) {
		t.Error("a fourth pending cluster was accepted")
	}
	if size, _ := p.due(0); size == 0 {
		t.Fatal("first cluster does not start")
	}
	// The send loop goes quiet: the cluster times out and the next one starts.
	p.due(probeTimeout + ms)
	if p.active != 2 {
		t.Errorf("active cluster %d after a timeout, want 2", p.active)
	}
	if id := p.onSent(100, probeTimeout+2*ms); id != 2 {
		t.Errorf("packet counted for cluster %d, want 2", id)
	}
	p.cancelPending()
	p.cluster(2).done = true
	if size, wake := p.due(probeTimeout + 3*ms); size != 0 || wake != 0 {
		t.Errorf("after cancelling, due = %d, %v", size, wake)
	}
	if !p.request(1e6) {
		t.Error("request refused after cancelling")
	}
}

func TestProbeMeasure(t *testing.T) {
	// Five 1000-byte packets sent every 8 ms (1 Mbit/s), arriving every gap.
	cluster := func(gap time.Duration, received int) *probeCluster {
		p := newProber()
		p.request(1e6)
		c := p.cluster(1)
		c.bytes = 5000
		for i := range received {
			p.onResult(&packetResult{Received: true, Size: 1000, Cluster: 1, SendTime: time.Duration(i) * 8 * ms,
				Arrival: time.Second + time.Duration(i)*gap})
		}
		return c
	}
	tests := []struct {
		name string
		c    *probeCluster
		want float64
	}{
		{"unsaturated: the send rate", cluster(8*ms, 5), 1e6},
		{"slightly slower arrival: the receive rate", cluster(8500*time.Microsecond, 5), 4000 * 8 / 0.034},
		{"saturated: 95 % of the receive rate", cluster(16*ms, 5), 0.95 * 500e3},
		{"too few packets", cluster(8*ms, 3), 0},
		{"arrivals far faster than sent", cluster(3*ms, 5), 0},
		{"all at once", cluster(0, 5), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.measure(); math.Abs(got-tt.want) > 1 {
				t.Errorf("measure = %.0f, want %.0f", got, tt.want)
			}
		})
	}
}
