package rtp

import (
	"bytes"
	"errors"
	"testing"
)

func TestPacketUnmarshal(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantPayload string
		wantPadding uint8
		wantErr     error
	}{
		{name: "no payload", in: fixedPlain, wantPayload: ""},
		{name: "payload", in: fixedPlain + "01 02 03", wantPayload: "010203"},
		{name: "payload after CSRCs and extension", in: fixedWithXCC2 + oneByteExtHdr + oneByteExtBody + "0a0b", wantPayload: "0a0b"},
		{name: "padding", in: fixedWithPad + "01 02 00 00 03", wantPayload: "0102", wantPadding: 3},
		{name: "padding only", in: fixedWithPad + "00 00 00 04", wantPayload: "", wantPadding: 4},
		{name: "padding of one byte", in: fixedWithPad + "aa 01", wantPayload: "aa", wantPadding: 1},
		{name: "padding bit without bytes", in: fixedWithPad, wantErr: ErrInvalidPadding},
		{name: "padding count 0", in: fixedWithPad + "01 02 00", wantErr: ErrInvalidPadding},
		{name: "padding count past the payload", in: fixedWithPad + "01 02 04", wantErr: ErrInvalidPadding},
		{name: "padding count eats the header", in: fixedWithPad + "ff", wantErr: ErrInvalidPadding},
		{name: "bad header", in: "80 60", wantErr: ErrHeaderTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			err := p.Unmarshal(unhex(t, tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Unmarshal error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if want := unhex(t, tt.wantPayload); !bytes.Equal(p.Payload, want) {
				t.Errorf("Payload = %x, want %x", p.Payload, want)
			}
			if p.PaddingSize != tt.wantPadding {
				t.Errorf("PaddingSize = %d, want %d", p.PaddingSize, tt.wantPadding)
			}
		})
	}
}

func TestPacketMarshal(t *testing.T) {
	p := Packet{
		Header:      Header{Marker: true, PayloadType: 111, SequenceNumber: 7, Timestamp: 960, SSRC: 42},
		Payload:     []byte{1, 2, 3},
		PaddingSize: 4,
	}
	want := unhex(t, "a0 ef 0007 000003c0 0000002a 010203 00000004")
	got, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("AppendBinary = %x, want %x", got, want)
	}

	var back Packet
	if err := back.Unmarshal(got); err != nil {
		t.Fatal(err)
	}
	if !back.Padding || back.PaddingSize != 4 || !bytes.Equal(back.Payload, p.Payload) {
		t.Errorf("round trip = %+v", back)
	}

	if _, err := p.MarshalTo(make([]byte, len(want)-1)); !errors.Is(err, ErrBufferTooSmall) {
		t.Errorf("MarshalTo into a short buffer: error = %v, want ErrBufferTooSmall", err)
	}
}

func TestPacketMarshalClearsStalePaddingBit(t *testing.T) {
	p := Packet{Header: Header{Padding: true}, Payload: []byte{9}}
	got, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got[0]&0x20 != 0 {
		t.Errorf("P bit set without PaddingSize: %x", got)
	}
}
