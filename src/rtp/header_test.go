package rtp

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestHeaderUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantLen int
		want    Header
		wantErr error
	}{
		{
			name:    "fixed header only",
			in:      fixedPlain + " 0102",
			wantLen: 12,
			want:    Header{PayloadType: 96, SequenceNumber: 0x1234, Timestamp: 100, SSRC: 0xdeadbeef},
		},
		{
			name:    "marker",
			in:      fixedMarker,
			wantLen: 12,
			want:    Header{Marker: true, PayloadType: 96, SequenceNumber: 0x1234, Timestamp: 100, SSRC: 0xdeadbeef},
		},
		{
			name:    "two CSRCs and a one-byte extension",
			in:      fixedWithXCC2 + oneByteExtHdr + oneByteExtBody + "ff",
			wantLen: 12 + 8 + 4 + 8,
			want: Header{
				Extension: true, PayloadType: 96, SequenceNumber: 0x1234, Timestamp: 100, SSRC: 0xdeadbeef,
				CSRCCount: 2, CSRC: [MaxCSRC]uint32{1, 2}, ExtensionProfile: ProfileOneByte,
			},
		},
		{
			name:    "two-byte extension with appbits",
			in:      fixedWithX + "1003 0002" + twoByteExtBody,
			wantLen: 12 + 4 + 8,
			want: Header{
				Extension: true, PayloadType: 96, SequenceNumber: 0x1234, Timestamp: 100, SSRC: 0xdeadbeef,
				ExtensionProfile: 0x1003,
			},
		},
		{
			name:    "opaque extension profile",
			in:      fixedWithX + "abcd 0001 ffffffff",
			wantLen: 12 + 4 + 4,
			want: Header{
				Extension: true, PayloadType: 96, SequenceNumber: 0x1234, Timestamp: 100, SSRC: 0xdeadbeef,
				ExtensionProfile: 0xabcd,
			},
		},
		{
			name:    "empty extension block",
			in:      fixedWithX + "bede 0000",
			wantLen: 16,
			want: Header{
				Extension: true, PayloadType: 96, SequenceNumber: 0x1234, Timestamp: 100, SSRC: 0xdeadbeef,
				ExtensionProfile: ProfileOneByte,
			},
		},
		{
			name:    "one-byte id 15 stops processing: what follows is not checked",
			in:      fixedWithX + "bede 0001 10 aa f5 ff",
			wantLen: 20,
			want: Header{
				Extension: true, PayloadType: 96, SequenceNumber: 0x1234, Timestamp: 100, SSRC: 0xdeadbeef,
				ExtensionProfile: ProfileOneByte,
			},
		},
		{name: "empty", in: "", wantErr: ErrHeaderTooShort},
		{name: "11 bytes", in: "80 60 1234 00000064 deadbe", wantErr: ErrHeaderTooShort},
		{name: "version 1", in: "40 60 1234 00000064 deadbeef", wantErr: ErrVersion},
		{name: "version 0 (e.g. STUN)", in: "00 01 0000 2112a442 00000000", wantErr: ErrVersion},
		{name: "CSRC list truncated", in: "82 60 1234 00000064 deadbeef 00000001 0000", wantErr: ErrHeaderTooShort},
		{name: "15 CSRCs, none present", in: "8f 60 1234 00000064 deadbeef", wantErr: ErrHeaderTooShort},
		{name: "extension header truncated", in: fixedWithX + "bede 00", wantErr: ErrHeaderTooShort},
		{name: "extension length past the packet", in: fixedWithX + "bede 0002 10aa0000", wantErr: ErrHeaderTooShort},
		{name: "extension length 0xffff", in: fixedWithX + "bede ffff 10aa0000", wantErr: ErrHeaderTooShort},
		{name: "one-byte element past the block", in: fixedWithX + "bede 0001 00 00 32 aa", wantErr: ErrExtensionTruncated},
		{name: "one-byte 16-byte element past the block", in: fixedWithX + "bede 0001 1f aabbcc", wantErr: ErrExtensionTruncated},
		{name: "two-byte length byte missing", in: fixedWithX + "1000 0001 00 00 00 05", wantErr: ErrExtensionTruncated},
		{name: "two-byte element past the block", in: fixedWithX + "1000 0001 05 03 aa bb", wantErr: ErrExtensionTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			var h Header
			n, err := h.Unmarshal(in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Unmarshal error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if n != tt.wantLen {
				t.Errorf("length = %d, want %d", n, tt.wantLen)
			}
			ext := h.ExtensionPayload
			h.ExtensionPayload = nil
			if !reflect.DeepEqual(h, tt.want) {
				t.Errorf("header = %+v\nwant     %+v", h, tt.want)
			}
			if h.Extension && !bytes.Equal(ext, in[n-len(ext):n]) {
				t.Errorf("ExtensionPayload = %x, want the block body %x", ext, in[n-len(ext):n])
			}
		})
	}
}

func TestHeaderMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"fixed", fixedPlain},
		{"marker", fixedMarker},
		{"CSRCs and one-byte extension", fixedWithXCC2 + oneByteExtHdr + oneByteExtBody},
		{"two-byte extension", fixedWithX + twoByteExtHdr + twoByteExtBody},
		{"opaque extension", fixedWithX + "abcd 0001 01020304"},
		{"padding bit", fixedWithPad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			var h Header
			if _, err := h.Unmarshal(in); err != nil {
				t.Fatal(err)
			}
			if h.MarshalSize() != len(in) {
				t.Errorf("MarshalSize = %d, want %d", h.MarshalSize(), len(in))
			}
			out, err := h.AppendBinary([]byte{0xff})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out[1:], in) || out[0] != 0xff {
				t.Errorf("AppendBinary = %x, want ff%x", out, in)
			}
		})
	}
}

func TestHeaderMarshalPadsExtension(t *testing.T) {
	h := Header{Extension: true, ExtensionProfile: ProfileOneByte, ExtensionPayload: []byte{0x10, 0xaa}}
	buf := bytes.Repeat([]byte{0xee}, 32)
	n, err := h.MarshalTo(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "90 00 0000 00000000 00000000 bede 0001 10 aa 00 00")
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("MarshalTo = %x, want %x", buf[:n], want)
	}
}

func TestHeaderMarshalErrors(t *testing.T) {
	tests := []struct {
		name    string
		h       Header
		bufLen  int
		wantErr error
	}{
		{"16 CSRCs", Header{CSRCCount: 16}, 100, ErrTooManyCSRC},
		{"payload type 128", Header{PayloadType: 128}, 100, ErrPayloadType},
		{"buffer too small", Header{CSRCCount: 1}, 15, ErrBufferTooSmall},
		{"extension too long", Header{Extension: true, ExtensionPayload: make([]byte, 4*0x10000)}, 1 << 20, ErrExtensionTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.h.MarshalTo(make([]byte, tt.bufLen)); !errors.Is(err, tt.wantErr) {
				t.Errorf("MarshalTo error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestHeaderCSRCs(t *testing.T) {
	var h Header
	if _, err := h.Unmarshal(unhex(t, fixedWithXCC2+oneByteExtHdr+oneByteExtBody)); err != nil {
		t.Fatal(err)
	}
	if got := h.CSRCs(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("CSRCs = %v, want [1 2]", got)
	}
}
