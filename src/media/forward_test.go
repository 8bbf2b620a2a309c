package media

import (
	"bytes"
	"errors"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// buildPacket makes an RTP packet with the given extension elements (id: value) in the given profile.
func buildPacket(t testing.TB, profile uint16, ext map[uint8][]byte, csrc []uint32, payload []byte,
	padding uint8) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{PayloadType: 96, SequenceNumber: 1000, Timestamp: 90000, SSRC: 0x11223344,
		Marker: true}, Payload: payload, PaddingSize: padding}
	p.CSRCCount = uint8(len(csrc))
	copy(p.CSRC[:], csrc)
	for _, id := range []uint8{1, 2, 3, 4, 5, 6, 7, 20} {
		if v, ok := ext[id]; ok {
			if err := p.SetExtension(id, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if profile != 0 && p.Extension {
		p.ExtensionProfile = profile
	}
	b, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExtensionMapCopyPacket(t *testing.T) {
	publisher := map[string]uint16{negotiate.ExtSDESMID: 1, negotiate.ExtVideoOrientation: 3,
		negotiate.ExtAbsSendTime: 2, extAudioLevel: 20}
	listener := []sdp.ExtMap{{ID: 5, URI: negotiate.ExtAbsSendTime}, {ID: 7, URI: negotiate.ExtVideoOrientation},
		{ID: 4, URI: extAudioLevel}}
	full := newExtensionMap(publisher, listener)
	noAbs := newExtensionMap(publisher, listener[1:])
	none := newExtensionMap(publisher, nil)
	payload := []byte{0x90, 0x80, 0x01, 0x02, 0x03}
	tests := []struct {
		name    string
		m       *extensionMap
		pkt     []byte
		want    map[uint8][]byte // the listener's elements; nil: no extension block
		padding uint8
	}{
		{"mapped and stamped", full, buildPacket(t, 0, map[uint8][]byte{1: []byte("0"), 3: {0x01}, 2: {9, 9, 9}}, nil,
			payload, 0), map[uint8][]byte{7: {0x01}, 5: {0x12, 0x34, 0x56}}, 0},
		{"stamped without any element", full, buildPacket(t, 0, nil, nil, payload, 0),
			map[uint8][]byte{5: {0x12, 0x34, 0x56}}, 0},
		{"nothing kept", none, buildPacket(t, 0, map[uint8][]byte{1: []byte("0"), 3: {0x01}}, nil, payload, 0),
			nil, 0},
		{"two-byte input becomes one-byte", noAbs, buildPacket(t, 0, map[uint8][]byte{3: {0x02}, 20: {0x85}}, nil,
			payload, 0), map[uint8][]byte{7: {0x02}, 4: {0x85}}, 0},
		{"CSRCs and padding kept", full, buildPacket(t, 0, map[uint8][]byte{3: {0x03}}, []uint32{7, 8}, payload, 4),
			map[uint8][]byte{7: {0x03}, 5: {0x12, 0x34, 0x56}}, 4},
		{"unknown profile dropped", noAbs, buildPacket(t, 0x1234, map[uint8][]byte{3: {0x03}}, nil, payload, 0), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in rtp.Packet
			if err := in.Unmarshal(tt.pkt); err != nil {
				t.Fatal(err)
			}
			off := len(tt.pkt) - len(in.Payload) - int(in.PaddingSize)
			dst := make([]byte, len(tt.pkt)+extensionGrowth)
			n, err := tt.m.copyPacket(dst, tt.pkt, &in.Header, off, 0x123456)
			if err != nil {
				t.Fatal(err)
			}
			var out rtp.Packet
			if err := out.Unmarshal(dst[:n]); err != nil {
				t.Fatalf("copy does not parse: %v", err)
			}
			if !bytes.Equal(out.Payload, payload) || out.PaddingSize != tt.padding {
				t.Errorf("payload %x padding %d, want %x %d", out.Payload, out.PaddingSize, payload, tt.padding)
			}
			if out.SequenceNumber != in.SequenceNumber || out.Timestamp != in.Timestamp || out.SSRC != in.SSRC ||
				out.Marker != in.Marker || out.PayloadType != in.PayloadType ||
				!equalUint32(out.CSRCs(), in.CSRCs()) {
				t.Errorf("header changed: %+v from %+v", out.Header, in.Header)
			}
			got := map[uint8][]byte{}
			for id, v := range out.Extensions() {
				got[id] = v
			}
			if tt.want == nil {
				if out.Extension {
					t.Fatalf("extension block %x, want none", out.ExtensionPayload)
				}
				return
			}
			if out.ExtensionProfile != rtp.ProfileOneByte || len(got) != len(tt.want) {
				t.Fatalf("profile %#x elements %v, want one-byte %v", out.ExtensionProfile, got, tt.want)
			}
			for id, v := range tt.want {
				if !bytes.Equal(got[id], v) {
					t.Errorf("element %d = %x, want %x", id, got[id], v)
				}
			}
		})
	}
}

func equalUint32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExtensionMapCopyPacketTooLarge(t *testing.T) {
	m := newExtensionMap(nil, nil)
	pkt := buildPacket(t, 0, nil, nil, make([]byte, 100), 0)
	var h rtp.Header
	off, err := h.Unmarshal(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.copyPacket(make([]byte, len(pkt)+extensionGrowth-1), pkt, &h, off, 0); !errors.Is(err, errPacketTooLarge) {
		t.Fatalf("err = %v, want errPacketTooLarge", err)
	}
}

func TestStampAbsSendTime(t *testing.T) {
	m := newExtensionMap(nil, []sdp.ExtMap{{ID: 3, URI: negotiate.ExtAbsSendTime}})
	pkt := buildPacket(t, 0, nil, nil, []byte{1, 2, 3}, 0)
	var h rtp.Header
	off, err := h.Unmarshal(pkt)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(pkt)+extensionGrowth)
	n, err := m.copyPacket(buf, pkt, &h, off, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.stampAbsSendTime(buf[:n], 0xabcdef)
	var out rtp.Header
	if _, err := out.Unmarshal(buf[:n]); err != nil {
		t.Fatal(err)
	}
	v, _ := out.ExtensionValue(3)
	if got, err := rtp.ParseAbsSendTime(v); err != nil || got != 0xabcdef {
		t.Fatalf("abs-send-time %x (%v), want abcdef", got, err)
	}
}
