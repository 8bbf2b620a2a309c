package rtp

import (
	"slices"
	"testing"
)

func TestSequenceUnwrapper(t *testing.T) {
	tests := []struct {
		name string
		in   []uint16
		want []int64
	}{
		{"in order", []uint16{10, 11, 12}, []int64{10, 11, 12}},
		{"forward wrap", []uint16{65534, 65535, 0, 1}, []int64{65534, 65535, 65536, 65537}},
		{"reordering across the wrap", []uint16{65535, 1, 0, 2}, []int64{65535, 65537, 65536, 65538}},
		{"late packet before the first one", []uint16{0, 65535}, []int64{0, -1}},
		{"gap below half the space", []uint16{0, 32767}, []int64{0, 32767}},
		{"several wraps", []uint16{0, 30000, 60000, 24464, 54464, 18928}, []int64{0, 30000, 60000, 90000, 120000, 150000}},
		{"a late packet does not move the reference back", []uint16{40000, 10000, 40001}, []int64{40000, 10000, 40001}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewSequenceUnwrapper()
			var got []int64
			for _, s := range tt.in {
				got = append(got, u.Unwrap(s))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Unwrap(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTimestampUnwrapper(t *testing.T) {
	tests := []struct {
		name string
		in   []uint32
		want []int64
	}{
		{"in order", []uint32{3000, 6000}, []int64{3000, 6000}},
		{"forward wrap", []uint32{4294964296, 0, 3000}, []int64{4294964296, 4294967296, 4294970296}},
		{"reordering across the wrap", []uint32{4294967000, 100, 4294967200}, []int64{4294967000, 4294967396, 4294967200}},
		{"late timestamp before the first", []uint32{0, 4294967295}, []int64{0, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewTimestampUnwrapper()
			var got []int64
			for _, ts := range tt.in {
				got = append(got, u.Unwrap(ts))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Unwrap(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSequenceNewer(t *testing.T) {
	tests := []struct {
		a, b uint16
		want bool
	}{
		{1, 0, true},
		{0, 1, false},
		{0, 65535, true},
		{65535, 0, false},
		{5, 5, false},
		{32767, 0, true},
		{32768, 0, false},
	}
	for _, tt := range tests {
		if got := SequenceNewer(tt.a, tt.b); got != tt.want {
			t.Errorf("SequenceNewer(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTimestampNewer(t *testing.T) {
	tests := []struct {
		a, b uint32
		want bool
	}{
		{1, 0, true},
		{0, 1, false},
		{0, 1<<32 - 1, true},
		{7, 7, false},
		{1<<31 - 1, 0, true},
		{1 << 31, 0, false},
	}
	for _, tt := range tests {
		if got := TimestampNewer(tt.a, tt.b); got != tt.want {
			t.Errorf("TimestampNewer(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
