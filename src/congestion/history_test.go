package congestion

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// feedbackOf builds the feedback a receiver would send about the numbers from base, arrivals giving the received
// ones (sequence number and arrival time).
func feedbackOf(base, count uint16, arrivals ...rtcp.PacketArrival) *rtcp.TransportCC {
	ref := uint32(0)
	if len(arrivals) > 0 {
		ref = rtcp.TransportCCReferenceTime(arrivals[0].Arrival)
	}
	return &rtcp.TransportCC{SenderSSRC: 1, BaseSequence: base, PacketCount: count, ReferenceTime: ref,
		Arrivals: arrivals}
}

func at(seq uint16, d time.Duration) rtcp.PacketArrival {
	return rtcp.PacketArrival{Sequence: seq, Arrival: d}
}

// brief is the part of a packetResult a table checks.
type brief struct {
	seq                 int64
	received, recovered bool
}

func briefs(rs []packetResult) []brief {
	var out []brief
	for _, r := range rs {
		out = append(out, brief{r.Sequence, r.Received, r.Recovered})
	}
	return out
}

func TestHistoryResults(t *testing.T) {
	tests := []struct {
		name        string
		sent        int
		feedback    []*rtcp.TransportCC
		want        []brief // of the last feedback
		wantUnknown uint64
	}{
		{"all received", 3, []*rtcp.TransportCC{feedbackOf(0, 3, at(0, time.Second), at(1, time.Second),
			at(2, time.Second))}, []brief{{0, true, false}, {1, true, false}, {2, true, false}}, 0},
		{"one lost", 3, []*rtcp.TransportCC{feedbackOf(0, 3, at(0, time.Second), at(2, time.Second))},
			[]brief{{0, true, false}, {1, false, false}, {2, true, false}}, 0},
		{"lost then received late", 3, []*rtcp.TransportCC{
			feedbackOf(0, 3, at(0, time.Second), at(2, time.Second)),
			feedbackOf(1, 2, at(1, time.Second), at(2, time.Second)),
		}, []brief{{1, true, true}}, 0},
		{"a repeated report is skipped", 2, []*rtcp.TransportCC{
			feedbackOf(0, 2, at(0, time.Second), at(1, time.Second)),
			feedbackOf(0, 2, at(0, time.Second), at(1, time.Second)),
		}, nil, 0},
		{"numbers never sent are unknown", 2, []*rtcp.TransportCC{feedbackOf(0, 4, at(0, time.Second),
			at(3, time.Second))}, []brief{{0, true, false}, {1, false, false}}, 1},
		{"numbers before the first are unknown", 2, []*rtcp.TransportCC{feedbackOf(65534, 3,
			at(65535, time.Second), at(0, time.Second))}, []brief{{0, true, false}}, 1},
		{"trailing losses", 4, []*rtcp.TransportCC{feedbackOf(0, 4, at(0, time.Second))},
			[]brief{{0, true, false}, {1, false, false}, {2, false, false}, {3, false, false}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSendHistory(256)
			for range tt.sent {
				h.add(1000, time.Second, 0)
			}
			var got []packetResult
			for _, fb := range tt.feedback {
				var err error
				got, err = h.results(fb, nil)
				if err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(briefs(got), tt.want) {
				t.Errorf("results %+v, want %+v", briefs(got), tt.want)
			}
			if h.unknown != tt.wantUnknown {
				t.Errorf("unknown = %d, want %d", h.unknown, tt.wantUnknown)
			}
		})
	}
}

func TestHistoryNumbering(t *testing.T) {
	h := newSendHistory(256)
	for i := range 70000 {
		seq := h.add(100, time.Duration(i)*ms, 3)
		if seq != uint16(i) {
			t.Fatalf("packet %d numbered %d", i, seq)
		}
	}
	// After a wrap, a feedback about the last packets still finds them, with their send time, size and cluster.
	last := uint16(69999 & 0xffff)
	got, err := h.results(feedbackOf(last-1, 2, at(last-1, time.Second), at(last, time.Second+ms)), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []packetResult{
		{Sequence: 69998, SendTime: 69998 * ms, Size: 100, Received: true, Arrival: time.Second, Cluster: 3},
		{Sequence: 69999, SendTime: 69999 * ms, Size: 100, Received: true, Arrival: time.Second + ms, Cluster: 3},
	}
	if !slices.Equal(got, want) {
		t.Errorf("results %+v, want %+v", got, want)
	}
	// Packets older than the history are gone.
	if got, _ := h.results(feedbackOf(last-300, 1, at(last-300, time.Second)), nil); len(got) != 0 {
		t.Errorf("results for a packet out of the history: %+v", got)
	}
}

func TestHistoryReferenceTimeWraps(t *testing.T) {
	h := newSendHistory(256)
	for range 2 {
		h.add(100, 0, 0)
	}
	top := time.Duration(1<<24-1) * rtcp.TransportCCReferenceUnit
	first, err := h.results(feedbackOf(0, 1, at(0, top)), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The next feedback's reference time wrapped to 0: its arrival is 64 ms after the first, not 12 days before.
	second, err := h.results(feedbackOf(1, 1, at(1, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := second[0].Arrival - first[0].Arrival; d != rtcp.TransportCCReferenceUnit {
		t.Errorf("arrival difference across the wrap = %v, want %v", d, rtcp.TransportCCReferenceUnit)
	}
}

func TestHistoryFeedbackLost(t *testing.T) {
	h := newSendHistory(256)
	h.add(100, 0, 0)
	for _, count := range []uint8{0, 1, 4, 5, 100, 99} {
		fb := feedbackOf(0, 1, at(0, time.Second))
		fb.FeedbackCount = count
		if _, err := h.results(fb, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 2 and 3, then 6 to 99; 99 after 100 is a late feedback, not 255 lost ones.
	if h.feedbackLost != 96 {
		t.Errorf("feedbackLost = %d, want 96", h.feedbackLost)
	}
}

func TestHistoryRejectsInconsistentFeedback(t *testing.T) {
	tests := []struct {
		name string
		fb   *rtcp.TransportCC
	}{
		{"out of order", feedbackOf(0, 3, at(2, time.Second), at(1, time.Second))},
		{"duplicate", feedbackOf(0, 3, at(1, time.Second), at(1, time.Second))},
		{"outside the range", feedbackOf(0, 3, at(3, time.Second))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSendHistory(256)
			for range 4 {
				h.add(100, 0, 0)
			}
			if _, err := h.results(tt.fb, nil); !errors.Is(err, ErrBadFeedback) {
				t.Errorf("error = %v, want ErrBadFeedback", err)
			}
		})
	}
}
