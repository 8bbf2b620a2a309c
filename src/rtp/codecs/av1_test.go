package codecs

import (
	"errors"
	"testing"
)

func TestAV1AggregationHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    AV1AggregationHeader
		wantKey bool
		wantErr error
	}{
		{name: "new coded video sequence", in: "18 0a0b", want: AV1AggregationHeader{OBUCount: 1, NewSequence: true}, wantKey: true},
		{name: "ordinary packet", in: "10 32", want: AV1AggregationHeader{OBUCount: 1}},
		{name: "continued both ways", in: "c0 ff", want: AV1AggregationHeader{Continuation: true, WillContinue: true}},
		{name: "two OBUs", in: "20 01 02", want: AV1AggregationHeader{OBUCount: 2}},
		{name: "N with Z is invalid", in: "88 00", wantErr: ErrAV1Header},
		{name: "no OBU element", in: "18", wantErr: ErrShortPayload},
		{name: "empty", in: "", wantErr: ErrShortPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			var h AV1AggregationHeader
			err := h.Unmarshal(in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got := AV1StartsKeyframe(in); got != tt.wantKey {
				t.Errorf("AV1StartsKeyframe = %v, want %v", got, tt.wantKey)
			}
			if tt.wantErr == nil && h != tt.want {
				t.Errorf("Unmarshal = %+v, want %+v", h, tt.want)
			}
		})
	}
}
