package congestion

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// The fuzzed SendSide has sent fuzzSent packets, numbered from fuzzFirst so that they wrap the 16-bit numbers,
// before the feedback comes: more than its history holds.
const (
	fuzzFirst = 65800
	fuzzSent  = 1500
)

// seedFeedback returns wire-format feedback packets for the seed corpus: what the recorder builds for ordinary and
// odd arrival patterns, and hand-made edge cases.
func seedFeedback(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	patterns := [][]arrival{
		{{0, time.Second}, {1, time.Second + ms}, {2, time.Second + 2*ms}},
		{{464, time.Second}, {466, time.Second + 5*ms}, {470, time.Second + 9*time.Second}},
		{{700, time.Second}, {701, time.Second + 5*ms}, {703, time.Second + 7*ms}, {702, time.Second + 8*ms}},
		{{65534, time.Hour}, {65535, time.Hour}, {1, time.Hour + 300*ms}},
		{{1000, 0}, {1002, 250 * time.Microsecond}, {1001, 100 * ms}},
	}
	for _, p := range patterns {
		r := newTestRecorder(tb, RecorderConfig{})
		for _, a := range p {
			r.Record(a.seq, a.at)
		}
		for {
			b, ok, err := r.AppendFeedback(nil, time.Hour)
			if err != nil {
				tb.Fatal(err)
			}
			if !ok {
				break
			}
			seeds = append(seeds, b)
		}
	}
	edge := []*rtcp.TransportCC{
		{SenderSSRC: 1, BaseSequence: 1000, PacketCount: 0xffff},
		{SenderSSRC: 1, BaseSequence: 0, PacketCount: 3, ReferenceTime: 1<<24 - 1,
			Arrivals: []rtcp.PacketArrival{{Sequence: 2, Arrival: (1<<24 - 1) * rtcp.TransportCCReferenceUnit}}},
		{SenderSSRC: 1, BaseSequence: 400, PacketCount: 2, FeedbackCount: 200,
			Arrivals: []rtcp.PacketArrival{{Sequence: 400, Arrival: 8 * time.Second}, {Sequence: 401, Arrival: 0}}},
	}
	for _, fb := range edge {
		b, err := fb.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

func newFuzzSendSide(tb testing.TB) *SendSide {
	tb.Helper()
	ss, err := NewSendSideWith(SendSideConfig{History: 1024})
	if err != nil {
		tb.Fatal(err)
	}
	ss.history.next = fuzzFirst
	for i := range fuzzSent {
		now := time.Duration(i) * ms
		if size, _ := ss.ProbeBytes(now); size > 0 {
			ss.OnSent(size, now)
		}
		ss.OnSent(200+i%1000, now)
	}
	return ss
}

// FuzzFeedbackResults reads arbitrary feedback, twice, into a SendSide that has sent packets: no panic, every
// result is about a packet of the history and is reported at most once as received, and the estimate stays within
// its bounds.
func FuzzFeedbackResults(f *testing.F) {
	for _, s := range seedFeedback(f) {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		ss := newFuzzSendSide(t)
		now := time.Duration(fuzzSent) * ms
		received := map[int64]bool{}
		for _, data := range [][]byte{first, second} {
			var fb rtcp.TransportCC
			if fb.Unmarshal(data) != nil {
				continue
			}
			results, err := ss.history.results(&fb, nil)
			if err != nil {
				t.Fatalf("decoded feedback rejected: %v", err)
			}
			for _, r := range results {
				if r.Sequence < ss.history.next-int64(len(ss.history.slots)) || r.Sequence >= ss.history.next {
					t.Fatalf("result for %d, outside the history [%d, %d)", r.Sequence,
						ss.history.next-int64(len(ss.history.slots)), ss.history.next)
				}
				if r.Received {
					if received[r.Sequence] {
						t.Fatalf("packet %d reported received twice", r.Sequence)
					}
					received[r.Sequence] = true
				}
			}
			// The same feedback through the whole estimator.
			ss2 := newFuzzSendSide(t)
			if err := ss2.OnFeedback(&fb, now); err != nil {
				t.Fatal(err)
			}
			checkEstimate(t, ss2, now)
			now += 50 * ms
		}
	})
}

func checkEstimate(t *testing.T, ss *SendSide, now time.Duration) {
	t.Helper()
	bps, _ := ss.Bitrate(now)
	if bps < ss.cfg.MinBitrate || bps > ss.cfg.MaxBitrate {
		t.Fatalf("estimate %d outside [%d, %d]", bps, ss.cfg.MinBitrate, ss.cfg.MaxBitrate)
	}
	if l := ss.Loss(); math.IsNaN(l) || l < 0 || l > 1 {
		t.Fatalf("loss %v", l)
	}
}

// FuzzRecorder records arbitrary numbers and times: no panic, every feedback parses, covers at most the history,
// and reports for each packet a time at which that number was recorded.
func FuzzRecorder(f *testing.F) {
	// Each record is 4 bytes: a sequence number (its top bit set: absolute; clear: a step from the last one) and
	// the time since the previous record in units of 64 µs.
	rec := func(seq uint16, absolute bool, gap time.Duration) []byte {
		if !absolute {
			seq &= 0x7fff
		} else {
			seq |= 0x8000
		}
		return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, seq), uint16(gap/(64*time.Microsecond)))
	}
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	f.Add(cat(rec(1, false, ms), rec(1, false, ms), rec(1, false, ms)))
	f.Add(cat(rec(0x7ffe, true, 0), rec(1, false, 4*ms), rec(3, false, 20*ms), rec(0x7fff, false, 60*ms)))
	f.Add(cat(rec(5, false, ms), rec(0x7fff, false, 4*time.Second), rec(0, false, 4*time.Second), rec(1, true, 0)))
	f.Add(cat(rec(1, false, 0), rec(0x7ff0, false, 0), rec(0x7ff0, false, 0), rec(0x10, false, 0)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newTestRecorder(t, RecorderConfig{History: 64, MaxFeedbackSize: 80})
		seen := map[uint16][]time.Duration{}
		var seq uint16
		var now time.Duration
		for len(data) >= 4 {
			v := binary.BigEndian.Uint16(data)
			if v&0x8000 != 0 {
				seq = v &^ 0x8000 * 2
			} else {
				seq += v
			}
			now += time.Duration(binary.BigEndian.Uint16(data[2:])) * 64 * time.Microsecond
			data = data[4:]
			r.Record(seq, now)
			seen[seq] = append(seen[seq], now)
			if !r.Due(now) {
				continue
			}
			for _, fb := range drain(t, r, now) {
				if fb.PacketCount > 64 {
					t.Fatalf("feedback covers %d numbers, more than the history", fb.PacketCount)
				}
				for _, a := range fb.Arrivals {
					if !recordedAt(seen[a.Sequence], a.Arrival) {
						t.Fatalf("number %d reported at %v, recorded at %v", a.Sequence, a.Arrival, seen[a.Sequence])
					}
				}
			}
		}
		if len(r.slots) != 64 || cap(r.fb.Arrivals) > 256 {
			t.Fatalf("buffers grew: %d slots, arrivals capacity %d", len(r.slots), cap(r.fb.Arrivals))
		}
	})
}

func recordedAt(times []time.Duration, at time.Duration) bool {
	for _, x := range times {
		if d := at - x; d >= -rtcp.TransportCCDeltaUnit/2 && d <= rtcp.TransportCCDeltaUnit/2 {
			return true
		}
	}
	return false
}
