package srtp

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzKey is a fixed master key, so that the seed corpus below is reproducible.
var fuzzKey, fuzzSalt = bytes.Repeat([]byte{0x2b}, 16), bytes.Repeat([]byte{0x7e}, 14)

func fuzzContexts(f *testing.F, p Profile) (*Outbound, *Inbound) {
	out, err := NewOutbound(p, fuzzKey, fuzzSalt[:p.SaltLen()])
	if err != nil {
		f.Fatal(err)
	}
	in, err := NewInbound(p, fuzzKey, fuzzSalt[:p.SaltLen()])
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := errors.Join(out.Close(), in.Close()); err != nil {
			f.Error(err)
		}
	})
	return out, in
}

// checkUnprotectError fails unless err is one of the errors unprotecting network input may give.
func checkUnprotectError(t *testing.T, err error) {
	var srtpErr *Error
	if !errors.Is(err, ErrMalformedPacket) && !errors.As(err, &srtpErr) {
		t.Fatalf("unexpected error %v", err)
	}
}

// FuzzUnprotectRTP feeds arbitrary datagrams to an inbound context of each profile: they must
// be refused with an error, never crash or read out of bounds, and anything accepted must come
// back shorter by the tag.
func FuzzUnprotectRTP(f *testing.F) {
	inbound := map[Profile]*Inbound{}
	for _, p := range testProfiles {
		out, in := fuzzContexts(f, p)
		inbound[p] = in
		for _, shape := range []rtpPacket{
			{ssrc: 1, seq: 1, extWords: -1, payload: 50},
			{ssrc: 2, seq: 2, csrcs: 2, extWords: 2, payload: 10},
		} {
			pkt, err := out.ProtectRTP(shape.build())
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(p), pkt)
		}
	}
	f.Add(uint8(ProfileAEADAES128GCM), []byte{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, profile uint8, data []byte) {
		p := ProfileAES128CMHMACSHA1_80
		if profile%2 == 0 {
			p = ProfileAEADAES128GCM
		}
		got, err := inbound[p].UnprotectRTP(clone(data))
		if err != nil {
			checkUnprotectError(t, err)
			return
		}
		if len(got) != len(data)-p.RTPOverhead() {
			t.Fatalf("accepted %d bytes, returned %d", len(data), len(got))
		}
	})
}

// FuzzUnprotectRTCP is FuzzUnprotectRTP for SRTCP.
func FuzzUnprotectRTCP(f *testing.F) {
	inbound := map[Profile]*Inbound{}
	for _, p := range testProfiles {
		out, in := fuzzContexts(f, p)
		inbound[p] = in
		pkt, err := out.ProtectRTCP(rtcpPacket(3))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(p), pkt)
	}
	f.Add(uint8(ProfileAES128CMHMACSHA1_80), []byte{0x80, 200, 0, 0, 0, 0, 0, 1, 0x80, 0, 0, 1})
	f.Fuzz(func(t *testing.T, profile uint8, data []byte) {
		p := ProfileAES128CMHMACSHA1_80
		if profile%2 == 0 {
			p = ProfileAEADAES128GCM
		}
		got, err := inbound[p].UnprotectRTCP(clone(data))
		if err != nil {
			checkUnprotectError(t, err)
			return
		}
		if len(got) != len(data)-p.RTCPOverhead() {
			t.Fatalf("accepted %d bytes, returned %d", len(data), len(got))
		}
	})
}

// FuzzRoundTripRTP protects arbitrary RTP packets and unprotects them with a fresh pair of
// contexts: whatever ProtectRTP accepts must come back identical.
func FuzzRoundTripRTP(f *testing.F) {
	for _, shape := range []rtpPacket{
		{ssrc: 1, seq: 1, extWords: -1, payload: 1188},
		{ssrc: 2, seq: 65535, csrcs: 3, extWords: 1, payload: 0},
	} {
		f.Add(uint8(ProfileAEADAES128GCM), shape.build())
		f.Add(uint8(ProfileAES128CMHMACSHA1_80), shape.build())
	}
	f.Fuzz(func(t *testing.T, profile uint8, plain []byte) {
		p := ProfileAES128CMHMACSHA1_80
		if profile%2 == 0 {
			p = ProfileAEADAES128GCM
		}
		out, in := pair(t, p)
		protected, err := out.ProtectRTP(clone(plain))
		if err != nil {
			if !errors.Is(err, ErrMalformedPacket) {
				t.Fatalf("ProtectRTP: %v", err)
			}
			return
		}
		got, err := in.UnprotectRTP(protected)
		if err != nil {
			t.Fatalf("UnprotectRTP of a packet just protected: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("round trip changed the packet:\n got %x\nwant %x", got, plain)
		}
	})
}
