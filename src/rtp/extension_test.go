package rtp

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestExtensionValue(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		id     uint8
		want   string
		wantOK bool
	}{
		{"one-byte first", fixedWithX + oneByteExtHdr + oneByteExtBody, 1, "aa", true},
		{"one-byte second", fixedWithX + oneByteExtHdr + oneByteExtBody, 2, "bbbbbb", true},
		{"one-byte absent", fixedWithX + oneByteExtHdr + oneByteExtBody, 3, "", false},
		{"one-byte after leading padding", fixedWithX + "bede 0001 00 00 30 cc", 3, "cc", true},
		{"one-byte behind id 15 is ignored", fixedWithX + "bede 0001 f0 30 cc 00", 3, "", false},
		{"one-byte behind id 0 with a length is ignored", fixedWithX + "bede 0001 01 30 cc 00", 3, "", false},
		{"two-byte empty value", fixedWithX + twoByteExtHdr + twoByteExtBody, 1, "", true},
		{"two-byte id 16", fixedWithX + twoByteExtHdr + twoByteExtBody, 16, "cccc", true},
		{"id 0 is never an element", fixedWithX + twoByteExtHdr + twoByteExtBody, 0, "", false},
		{"opaque profile", fixedWithX + "abcd 0001 10aa0000", 1, "", false},
		{"no extension", fixedPlain, 1, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			if _, err := h.Unmarshal(unhex(t, tt.in)); err != nil {
				t.Fatal(err)
			}
			got, ok := h.ExtensionValue(tt.id)
			if ok != tt.wantOK || !bytes.Equal(got, unhex(t, tt.want)) {
				t.Errorf("ExtensionValue(%d) = %x, %v; want %s, %v", tt.id, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestExtensionValueWritesThrough(t *testing.T) {
	pkt := unhex(t, fixedWithX+oneByteExtHdr+oneByteExtBody)
	var h Header
	if _, err := h.Unmarshal(pkt); err != nil {
		t.Fatal(err)
	}
	v, _ := h.ExtensionValue(2)
	copy(v, []byte{1, 2, 3})
	if want := unhex(t, fixedWithX+oneByteExtHdr+"10 aa 22 010203 00 00"); !bytes.Equal(pkt, want) {
		t.Errorf("packet = %x, want %x", pkt, want)
	}
}

func TestExtensionsIterates(t *testing.T) {
	var h Header
	if _, err := h.Unmarshal(unhex(t, fixedWithX+oneByteExtHdr+oneByteExtBody)); err != nil {
		t.Fatal(err)
	}
	var ids []uint8
	for id := range h.Extensions() {
		ids = append(ids, id)
	}
	if !slices.Equal(ids, []uint8{1, 2}) {
		t.Errorf("ids = %v, want [1 2]", ids)
	}
	for range h.Extensions() {
		break // the iterator must honour an early stop
	}
}

func TestSetExtension(t *testing.T) {
	tests := []struct {
		name        string
		start       string // a packet to parse first; "" starts from an empty header
		id          uint8
		value       string
		wantProfile uint16
		wantPayload string
		wantErr     error
	}{
		{name: "first one-byte element", id: 3, value: "0a0b0c", wantProfile: ProfileOneByte, wantPayload: "32 0a0b0c"},
		{name: "first element needing two-byte: id 15", id: 15, value: "aa", wantProfile: ProfileTwoByte, wantPayload: "0f 01 aa"},
		{name: "first element needing two-byte: empty value", id: 1, value: "", wantProfile: ProfileTwoByte, wantPayload: "01 00"},
		{name: "first element needing two-byte: 17 bytes", id: 1, value: "000102030405060708090a0b0c0d0e0f10", wantProfile: ProfileTwoByte, wantPayload: "01 11 000102030405060708090a0b0c0d0e0f10"},
		{
			name: "append to one-byte", start: fixedWithX + oneByteExtHdr + oneByteExtBody, id: 4, value: "dd",
			wantProfile: ProfileOneByte, wantPayload: "10 aa 22 bbbbbb 40 dd",
		},
		{
			name: "replace in one-byte", start: fixedWithX + oneByteExtHdr + oneByteExtBody, id: 1, value: "eeee",
			wantProfile: ProfileOneByte, wantPayload: "22 bbbbbb 11 eeee",
		},
		{
			name: "convert one-byte to two-byte", start: fixedWithX + oneByteExtHdr + oneByteExtBody, id: 200, value: "ff",
			wantProfile: ProfileTwoByte, wantPayload: "01 01 aa 02 03 bbbbbb c8 01 ff",
		},
		{
			name: "two-byte stays two-byte with its appbits", start: fixedWithX + "1005 0002" + twoByteExtBody, id: 2, value: "99",
			wantProfile: 0x1005, wantPayload: "01 00 10 02 cccc 02 01 99",
		},
		{name: "id 0", id: 0, value: "aa", wantErr: ErrExtensionID},
		{name: "value of 256 bytes", id: 1, value: string(bytes.Repeat([]byte("00"), 256)), wantErr: ErrExtensionValueLength},
		{name: "opaque profile", start: fixedWithX + "abcd 0001 10aa0000", id: 1, value: "aa", wantErr: ErrExtensionNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			var pkt []byte
			if tt.start != "" {
				pkt = unhex(t, tt.start)
				if _, err := h.Unmarshal(pkt); err != nil {
					t.Fatal(err)
				}
			}
			before := slices.Clone(pkt)
			err := h.SetExtension(tt.id, unhex(t, tt.value))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SetExtension error = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(pkt, before) {
				t.Errorf("SetExtension wrote into the parsed packet")
			}
			if tt.wantErr != nil {
				return
			}
			if !h.Extension || h.ExtensionProfile != tt.wantProfile {
				t.Errorf("Extension = %v, profile = %#x; want true, %#x", h.Extension, h.ExtensionProfile, tt.wantProfile)
			}
			if want := unhex(t, tt.wantPayload); !bytes.Equal(h.ExtensionPayload, want) {
				t.Errorf("ExtensionPayload = %x, want %x", h.ExtensionPayload, want)
			}
			got, ok := h.ExtensionValue(tt.id)
			if !ok || !bytes.Equal(got, unhex(t, tt.value)) {
				t.Errorf("ExtensionValue after Set = %x, %v", got, ok)
			}
			out, err := h.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			var back Header
			if _, err := back.Unmarshal(out); err != nil {
				t.Fatalf("marshalled header does not parse: %v", err)
			}
		})
	}
}
