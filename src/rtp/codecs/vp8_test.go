package codecs

import (
	"errors"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

func TestVP8DescriptorUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    VP8Descriptor
		wantLen int
		wantErr error
	}{
		{name: "minimal start", in: "10 9d", want: VP8Descriptor{StartOfPartition: true}, wantLen: 1},
		{name: "continuation", in: "00 9d", want: VP8Descriptor{}, wantLen: 1},
		{name: "non-reference, partition 3", in: "33", want: VP8Descriptor{NonReference: true, StartOfPartition: true, PartitionIndex: 3}, wantLen: 1},
		{
			name: "7-bit picture id", in: "90 80 05",
			want:    VP8Descriptor{StartOfPartition: true, HasPictureID: true, PictureID: 5},
			wantLen: 3,
		},
		{
			name: "15-bit picture id", in: "90 80 9e36",
			want:    VP8Descriptor{StartOfPartition: true, HasPictureID: true, LongPictureID: true, PictureID: 0x1e36},
			wantLen: 4,
		},
		{
			name: "picture id, TL0PICIDX, TID with layer sync, KEYIDX", in: "90 f0 8123 45 a7",
			want: VP8Descriptor{
				StartOfPartition: true, HasPictureID: true, LongPictureID: true, PictureID: 0x123,
				HasTL0PICIDX: true, TL0PICIDX: 0x45, HasTID: true, TID: 2, LayerSync: true, HasKeyIdx: true, KeyIdx: 7,
			},
			wantLen: 6,
		},
		{
			name: "KEYIDX without TID", in: "90 10 ff",
			want:    VP8Descriptor{StartOfPartition: true, HasKeyIdx: true, KeyIdx: 31},
			wantLen: 3,
		},
		{
			name: "TID without KEYIDX ignores the KEYIDX bits", in: "90 20 5f",
			want:    VP8Descriptor{StartOfPartition: true, HasTID: true, TID: 1},
			wantLen: 3,
		},
		{name: "empty", in: "", wantErr: ErrShortPayload},
		{name: "X byte missing", in: "90", wantErr: ErrShortPayload},
		{name: "picture id missing", in: "90 80", wantErr: ErrShortPayload},
		{name: "15-bit picture id truncated", in: "90 80 80", wantErr: ErrShortPayload},
		{name: "TL0PICIDX missing", in: "90 40", wantErr: ErrShortPayload},
		{name: "TID/KEYIDX byte missing", in: "90 e0 05 01", wantErr: ErrShortPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d VP8Descriptor
			n, err := d.Unmarshal(unhex(t, tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if n != tt.wantLen || d != tt.want {
				t.Errorf("Unmarshal = %d, %+v\nwant          %d, %+v", n, d, tt.wantLen, tt.want)
			}
		})
	}
}

func TestVP8FrameHeaderUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    VP8FrameHeader
		wantErr error
	}{
		{
			name: "key frame 176x144",
			in:   "9015 00 9d012a b000 9000",
			want: VP8FrameHeader{KeyFrame: true, ShowFrame: true, FirstPartitionSize: 172, Width: 176, Height: 144},
		},
		{
			name: "key frame with scaling",
			in:   "9015 00 9d012a 8047 38c4",
			want: VP8FrameHeader{KeyFrame: true, ShowFrame: true, FirstPartitionSize: 172, Width: 1920, HorizontalScale: 1, Height: 1080, VerticalScale: 3},
		},
		{
			name: "inter frame, version 1, hidden",
			in:   "a3 04 00",
			want: VP8FrameHeader{Version: 1, FirstPartitionSize: 37},
		},
		{name: "short tag", in: "9015", wantErr: ErrShortPayload},
		{name: "key frame without its dimensions", in: "9015 00 9d012a b0", wantErr: ErrShortPayload},
		{name: "key frame without its start code", in: "9015 00 9d012b b000 9000", wantErr: ErrVP8StartCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h VP8FrameHeader
			err := h.Unmarshal(unhex(t, tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && h != tt.want {
				t.Errorf("Unmarshal = %+v\nwant        %+v", h, tt.want)
			}
		})
	}
}

func TestVP8StartsKeyframe(t *testing.T) {
	const keyFrame, interFrame = "9015 00 9d012a b000 9000", "b104 00"
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"minimal descriptor, key frame", "10" + keyFrame, true},
		{"minimal descriptor, inter frame", "10" + interFrame, false},
		// The original read the P bit at a fixed offset of 4 bytes into the payload.
		{"3-byte descriptor: the byte at offset 4 is odd, still a key frame", "90 80 05" + keyFrame, true},
		{"6-byte descriptor: the byte at offset 4 is even, still an inter frame", "90 f0 8123 44 a7" + interFrame, false},
		{"continuation packet whose data starts with an even byte", "80 80 05 00 9d012a b000 9000", false},
		{"start of partition 1", "91" + keyFrame, false},
		{"P=0 without start code", "10 9015 00 000000 b000 9000", false},
		{"descriptor only", "90 80 05", false},
		{"truncated descriptor", "90 80", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VP8StartsKeyframe(unhex(t, tt.in)); got != tt.want {
				t.Errorf("VP8StartsKeyframe = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestVP8BehindCSRCsAndExtensions covers two defects of the original: keyframe detection that ignored header
// extensions, and a picture id read at an offset that forgot 4 bytes per CSRC.
func TestVP8BehindCSRCsAndExtensions(t *testing.T) {
	pkt := unhex(t, "93 60 1234 00000064 deadbeef 00000001 00000002 00000003"+
		"bede 0002 22 123456 31 0102 00"+
		"90 80 9e36"+"9015 00 9d012a b000 9000")
	var p rtp.Packet
	if err := p.Unmarshal(pkt); err != nil {
		t.Fatal(err)
	}
	if !VP8StartsKeyframe(p.Payload) {
		t.Error("key frame behind 3 CSRCs and a header extension not detected")
	}
	var d VP8Descriptor
	if _, err := d.Unmarshal(p.Payload); err != nil {
		t.Fatal(err)
	}
	if d.PictureID != 0x1e36 {
		t.Errorf("PictureID = %#x, want 0x1e36", d.PictureID)
	}
}
