package rtp

import (
	"bytes"
	"errors"
	"testing"
)

func TestUnwrapRTX(t *testing.T) {
	tests := []struct {
		name     string
		rtx      string
		origSSRC uint32
		origPT   uint8
		want     string
		wantErr  error
	}{
		{
			// The original assumed the original PT is the RTX PT - 1: here RTX 97 carries PT 100.
			name:     "payload type from the caller, not RTX PT - 1",
			rtx:      "80 61 0005 00000064 cafebabe 1234 010203",
			origSSRC: 0xdeadbeef, origPT: 100,
			want: "80 64 1234 00000064 deadbeef 010203",
		},
		{
			name:     "RTX PT below the original PT",
			rtx:      "80 e0 0005 00000064 cafebabe 1234 01",
			origSSRC: 0xdeadbeef, origPT: 102,
			want: "80 e6 1234 00000064 deadbeef 01",
		},
		{
			name:     "CSRCs and extension are kept",
			rtx:      "92 61 0005 00000064 cafebabe 00000001 00000002" + oneByteExtHdr + oneByteExtBody + "1234 0a0b",
			origSSRC: 0xdeadbeef, origPT: 96,
			want: fixedWithXCC2 + oneByteExtHdr + oneByteExtBody + "0a0b",
		},
		{
			name:     "padding is kept",
			rtx:      "a0 61 0005 00000064 cafebabe 1234 0a0b 0002",
			origSSRC: 0xdeadbeef, origPT: 96,
			want: fixedWithPad + "0a0b 0002",
		},
		{
			name:     "empty original payload",
			rtx:      "80 61 0005 00000064 cafebabe 1234",
			origSSRC: 0xdeadbeef, origPT: 96,
			want: fixedPlain,
		},
		{name: "padding-only probe", rtx: "a0 61 0005 00000064 cafebabe 00000004", origPT: 96, wantErr: ErrRTXPaddingOnly},
		{name: "no payload at all", rtx: "80 61 0005 00000064 cafebabe", origPT: 96, wantErr: ErrRTXPaddingOnly},
		{name: "one byte of OSN", rtx: "80 61 0005 00000064 cafebabe 12", origPT: 96, wantErr: ErrRTXTooShort},
		{name: "truncated header", rtx: "80 61 0005", origPT: 96, wantErr: ErrHeaderTooShort},
		{name: "bad padding", rtx: "a0 61 0005 00000064 cafebabe 1234 09", origPT: 96, wantErr: ErrInvalidPadding},
		{name: "original PT above 127", rtx: "80 61 0005 00000064 cafebabe 1234", origPT: 128, wantErr: ErrPayloadType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := unhex(t, tt.rtx)
			got, err := UnwrapRTX(pkt, tt.origSSRC, tt.origPT)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("UnwrapRTX error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if want := unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("UnwrapRTX = %x\nwant        %x", got, want)
			}
			if &got[0] != &pkt[2] {
				t.Errorf("UnwrapRTX did not work in place")
			}
		})
	}
}

func TestAppendRTX(t *testing.T) {
	tests := []struct {
		name    string
		orig    string
		want    string
		wantErr error
	}{
		{
			name: "plain",
			orig: fixedMarker + "0a0b0c",
			want: "80 e1 0007 00000064 cafebabe 1234 0a0b0c",
		},
		{
			name: "CSRCs and extension are kept",
			orig: fixedWithXCC2 + oneByteExtHdr + oneByteExtBody + "0a",
			want: "92 61 0007 00000064 cafebabe 00000001 00000002" + oneByteExtHdr + oneByteExtBody + "1234 0a",
		},
		{
			name: "the original's padding is dropped",
			orig: fixedWithPad + "0a 0000 03",
			want: "80 61 0007 00000064 cafebabe 1234 0a",
		},
		{name: "bad original", orig: "80 60", wantErr: ErrHeaderTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xff}
			got, err := AppendRTX(prefix, unhex(t, tt.orig), 0xcafebabe, 97, 7)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("AppendRTX error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if !bytes.Equal(got, prefix) {
					t.Errorf("AppendRTX changed dst on error: %x", got)
				}
				return
			}
			if want := append([]byte{0xff}, unhex(t, tt.want)...); !bytes.Equal(got, want) {
				t.Errorf("AppendRTX = %x\nwant       %x", got, want)
			}
		})
	}
	if _, err := AppendRTX(nil, unhex(t, fixedPlain), 1, 128, 1); !errors.Is(err, ErrPayloadType) {
		t.Errorf("RTX PT 128: error = %v, want ErrPayloadType", err)
	}
}

func TestRTXRoundTrip(t *testing.T) {
	orig := unhex(t, fixedWithXCC2+oneByteExtHdr+oneByteExtBody+"0a0b0c0d")
	rtx, err := AppendRTX(make([]byte, 0, 1500), orig, 0xcafebabe, 120, 999)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnwrapRTX(rtx, 0xdeadbeef, 96)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, orig) {
		t.Errorf("round trip = %x\nwant         %x", back, orig)
	}
}
