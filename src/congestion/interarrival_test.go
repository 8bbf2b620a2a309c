package congestion

import (
	"testing"
	"time"
)

func TestInterArrival(t *testing.T) {
	type pkt struct{ send, arrival time.Duration }
	type delta struct{ send, arrival time.Duration }
	tests := []struct {
		name    string
		packets []pkt
		want    []delta
	}{
		{"one group per 5 ms of send time", []pkt{{0, 100 * ms}, {2 * ms, 102 * ms}, {10 * ms, 110 * ms},
			{11 * ms, 111 * ms}, {20 * ms, 121 * ms}, {30 * ms, 130 * ms}},
			// Groups [0,2], [10,11], [20], [30]: deltas between completed groups, from their last packets.
			[]delta{{9 * ms, 9 * ms}, {9 * ms, 10 * ms}}},
		{"a burst delivered together joins its group", []pkt{{0, 100 * ms}, {10 * ms, 120 * ms},
			{20 * ms, 121 * ms}, {30 * ms, 122 * ms}, {40 * ms, 140 * ms}, {50 * ms, 150 * ms}},
			// 20 and 30 arrived within 5 ms of 10, sooner than sent: one group [10, 30].
			[]delta{{30 * ms, 22 * ms}, {10 * ms, 18 * ms}}},
		{"a reordered packet is skipped", []pkt{{0, 100 * ms}, {10 * ms, 110 * ms}, {5 * ms, 111 * ms},
			{20 * ms, 120 * ms}, {30 * ms, 130 * ms}},
			[]delta{{10 * ms, 10 * ms}, {10 * ms, 10 * ms}}},
		{"a group completing before its predecessor gives no delta", []pkt{{0, 100 * ms}, {10 * ms, 150 * ms},
			{12 * ms, 90 * ms}, {20 * ms, 160 * ms}, {30 * ms, 170 * ms}},
			// [10, 12] completes at 90 ms, before [0] at 100 ms: no delta; then [20] against [10, 12].
			[]delta{{8 * ms, 70 * ms}}},
		{"a receiver clock jump resets", []pkt{{0, 100 * ms}, {10 * ms, 110 * ms}, {20 * ms, 5 * time.Second},
			{30 * ms, 5*time.Second + 10*ms}, {40 * ms, 5*time.Second + 20*ms}, {50 * ms, 5*time.Second + 30*ms}},
			// No delta of 4.89 s between [20] and [30]: grouping starts again at [30].
			[]delta{{10 * ms, 10 * ms}, {10 * ms, 10 * ms}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ia interArrival
			var got []delta
			for _, p := range tt.packets {
				if s, a, ok := ia.add(p.send, p.arrival); ok {
					got = append(got, delta{s, a})
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("deltas %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("delta %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestInterArrivalResetsAfterReorderedGroups(t *testing.T) {
	var ia interArrival
	ia.add(0, time.Second)
	// Each group starts late and completes early (a late packet of it arrived first), so each completes before
	// the previous one; the third such completion resets the grouping, as the next group starts.
	for i := 1; i <= reorderedGroupsReset+1; i++ {
		send := time.Duration(10*i) * ms
		_, _, ok1 := ia.add(send, 2*time.Second)
		_, _, ok2 := ia.add(send+ms, time.Second-time.Duration(i)*ms)
		if ok1 || ok2 {
			t.Fatalf("a delta from reordered group %d", i)
		}
	}
	if ia.reorderedGroups != 0 || ia.hasPrev {
		t.Errorf("grouping not reset after %d reordered groups: %+v", reorderedGroupsReset, ia)
	}
}
