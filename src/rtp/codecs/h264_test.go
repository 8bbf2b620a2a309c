package codecs

import (
	"errors"
	"testing"
)

func TestH264PacketUnmarshal(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantType  H264NALUnitType
		wantStart bool
		wantEnd   bool
		carries   []H264NALUnitType
		wantKey   bool
		wantErr   error
	}{
		{name: "single IDR", in: "65 8884", wantType: H264NALIDR, wantStart: true, wantEnd: true, carries: []H264NALUnitType{H264NALIDR}, wantKey: true},
		{name: "single non-IDR slice", in: "41 9a", wantType: H264NALSlice, wantStart: true, wantEnd: true, carries: []H264NALUnitType{H264NALSlice}},
		{name: "lone SPS", in: "67 42c0", wantType: H264NALSPS, wantStart: true, wantEnd: true, carries: []H264NALUnitType{H264NALSPS}},
		{
			name: "STAP-A SPS+PPS, ahead of a fragmented IDR", in: "78 0002 6742 0002 68ce",
			wantType: H264STAPA, wantStart: true, wantEnd: true, carries: []H264NALUnitType{H264NALSPS, H264NALPPS}, wantKey: true,
		},
		{
			name: "STAP-A AUD+SPS+PPS", in: "78 0002 0910 0002 6742 0002 68ce",
			wantType: H264STAPA, wantStart: true, wantEnd: true, carries: []H264NALUnitType{H264NALAUD, H264NALSPS, H264NALPPS}, wantKey: true,
		},
		{
			name: "STAP-A with an IDR", in: "78 0002 0910 0003 658884",
			wantType: H264STAPA, wantStart: true, wantEnd: true, carries: []H264NALUnitType{H264NALAUD, H264NALIDR}, wantKey: true,
		},
		{
			// The original publisher side called every STAP-A a keyframe.
			name: "STAP-A of ordinary slices is no keyframe", in: "78 0002 4100 0002 4101",
			wantType: H264STAPA, wantStart: true, wantEnd: true, carries: []H264NALUnitType{H264NALSlice},
		},
		{
			name: "FU-A start of an IDR", in: "7c 85 88",
			wantType: H264FUA, wantStart: true, carries: []H264NALUnitType{H264NALIDR}, wantKey: true,
		},
		{
			name: "FU-A middle of an IDR", in: "7c 05 88",
			wantType: H264FUA, carries: []H264NALUnitType{H264NALIDR},
		},
		{
			name: "FU-A end of an IDR", in: "7c 45 88",
			wantType: H264FUA, wantEnd: true, carries: []H264NALUnitType{H264NALIDR},
		},
		{
			// The original listener side called every FU-A a keyframe.
			name: "FU-A start of an ordinary slice is no keyframe", in: "5c 81 9a",
			wantType: H264FUA, wantStart: true, carries: []H264NALUnitType{H264NALSlice},
		},
		{name: "empty", in: "", wantErr: ErrShortPayload},
		{name: "forbidden bit", in: "e5 88", wantErr: ErrH264ForbiddenBit},
		{name: "type 0", in: "00 88", wantErr: ErrH264NALType},
		{name: "type 30", in: "1e 88", wantErr: ErrH264NALType},
		{name: "type 31", in: "1f 88", wantErr: ErrH264NALType},
		{name: "STAP-B (interleaved mode)", in: "19 0000 0002 6742", wantErr: ErrH264NALType},
		{name: "MTAP16", in: "1a 00", wantErr: ErrH264NALType},
		{name: "MTAP24", in: "1b 00", wantErr: ErrH264NALType},
		{name: "FU-B", in: "1d 85 0000 88", wantErr: ErrH264NALType},
		{name: "STAP-A without units", in: "78", wantErr: ErrH264Aggregation},
		{name: "STAP-A with half a size", in: "78 00", wantErr: ErrH264Aggregation},
		{name: "STAP-A unit past the payload", in: "78 0005 6742", wantErr: ErrH264Aggregation},
		{name: "STAP-A empty unit", in: "78 0000 0002 6742", wantErr: ErrH264Aggregation},
		{name: "STAP-A trailing byte", in: "78 0002 6742 00", wantErr: ErrH264Aggregation},
		{name: "STAP-A unit with the forbidden bit", in: "78 0002 e742", wantErr: ErrH264ForbiddenBit},
		{name: "STAP-A inside STAP-A", in: "78 0003 780001", wantErr: ErrH264NALType},
		{name: "STAP-A unit of type 0", in: "78 0001 00", wantErr: ErrH264NALType},
		{name: "FU-A without FU header", in: "7c", wantErr: ErrShortPayload},
		{name: "FU-A of an FU-A", in: "7c 9c 00", wantErr: ErrH264FUType},
		{name: "FU-A of a STAP-A", in: "7c 98 00", wantErr: ErrH264FUType},
		{name: "FU-A of type 0", in: "7c 80 00", wantErr: ErrH264FUType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			var p H264Packet
			err := p.Unmarshal(in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got := H264StartsKeyframe(in); got != tt.wantKey {
				t.Errorf("H264StartsKeyframe = %v, want %v", got, tt.wantKey)
			}
			if tt.wantErr != nil {
				return
			}
			if p.Type != tt.wantType || p.FragmentStart != tt.wantStart || p.FragmentEnd != tt.wantEnd {
				t.Errorf("type %d, start %v, end %v; want %d, %v, %v", p.Type, p.FragmentStart, p.FragmentEnd,
					tt.wantType, tt.wantStart, tt.wantEnd)
			}
			for typ := H264NALUnitType(0); typ < 40; typ++ {
				want := false
				for _, c := range tt.carries {
					want = want || c == typ
				}
				if p.Carries(typ) != want {
					t.Errorf("Carries(%d) = %v, want %v", typ, !want, want)
				}
			}
		})
	}
}
