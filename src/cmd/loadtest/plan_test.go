package main

import (
	"math/rand/v2"
	"testing"
)

func TestPlanRooms(t *testing.T) {
	tests := []struct{ conns, min, max int }{
		{2, 2, 8}, {3, 2, 8}, {9, 2, 8}, {10000, 2, 8}, {10, 5, 5}, {11, 5, 5}, {1000, 8, 8}, {17, 3, 4},
	}
	for _, tc := range tests {
		for seed := range uint64(20) {
			sizes, err := planRooms(tc.conns, tc.min, tc.max, rand.New(rand.NewPCG(seed, 1)))
			if err != nil {
				t.Fatalf("%+v: %v", tc, err)
			}
			total, small := 0, 0
			for _, s := range sizes {
				total += s
				if s > tc.max || s < 1 {
					t.Errorf("%+v seed %d: room of %d in %v", tc, seed, s, sizes)
				}
				if s < tc.min {
					small++
				}
			}
			if total != tc.conns || small > 1 {
				t.Errorf("%+v seed %d: %v holds %d connections, %d rooms below the minimum", tc, seed, sizes, total,
					small)
			}
		}
	}
}

func TestPlanRoomsRejects(t *testing.T) {
	for _, tc := range []struct{ conns, min, max int }{{0, 2, 8}, {10, 0, 8}, {10, 5, 4}} {
		if _, err := planRooms(tc.conns, tc.min, tc.max, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%+v: no error", tc)
		}
	}
}
