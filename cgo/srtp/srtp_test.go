package srtp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestProfileLengths(t *testing.T) {
	tests := []struct {
		profile              Profile
		name                 string
		key, salt, rtp, rtcp int
	}{
		{ProfileAEADAES128GCM, "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 20},
		{ProfileAES128CMHMACSHA1_80, "SRTP_AES128_CM_HMAC_SHA1_80", 16, 14, 10, 14},
		{Profile(2), "Profile(2)", 0, 0, 0, 0},
	}
	for _, tt := range tests {
		p := tt.profile
		got := []int{p.KeyLen(), p.SaltLen(), p.RTPOverhead(), p.RTCPOverhead()}
		want := []int{tt.key, tt.salt, tt.rtp, tt.rtcp}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%v: lengths (key, salt, rtp, rtcp) = %v, want %v", p, got, want)
				break
			}
		}
		if p.String() != tt.name {
			t.Errorf("String() = %q, want %q", p.String(), tt.name)
		}
		if p.Valid() != (tt.key != 0) {
			t.Errorf("%v: Valid() = %v", p, p.Valid())
		}
		if p.RTPOverhead() > MaxRTPOverhead || p.RTCPOverhead() > MaxRTCPOverhead {
			t.Errorf("%v: overheads exceed MaxRTPOverhead or MaxRTCPOverhead", p)
		}
	}
}

func TestRoundTripRTP(t *testing.T) {
	shapes := []struct {
		name   string
		packet rtpPacket
	}{
		{"1200 bytes", rtpPacket{ssrc: 1, seq: 1, extWords: -1, payload: 1188}},
		{"empty payload", rtpPacket{ssrc: 2, seq: 2, extWords: -1}},
		{"CSRCs", rtpPacket{ssrc: 3, seq: 3, csrcs: 15, extWords: -1, payload: 100}},
		{"header extension", rtpPacket{ssrc: 4, seq: 4, extWords: 3, payload: 100}},
		{"empty header extension", rtpPacket{ssrc: 5, seq: 5, extWords: 0, payload: 1}},
		{"CSRCs and extension", rtpPacket{ssrc: 6, seq: 65535, csrcs: 2, extWords: 1, payload: 50}},
	}
	for _, p := range testProfiles {
		out, in := pair(t, p)
		for _, shape := range shapes {
			t.Run(p.String()+"/"+shape.name, func(t *testing.T) {
				plain := shape.packet.build()
				pkt := clone(plain)
				protected, err := out.ProtectRTP(pkt)
				if err != nil {
					t.Fatalf("ProtectRTP: %v", err)
				}
				if len(protected) != len(plain)+p.RTPOverhead() || &protected[0] != &pkt[0] {
					t.Fatalf("ProtectRTP returned %d bytes, want %d in place", len(protected), len(plain)+p.RTPOverhead())
				}
				header, _ := rtpHeaderLength(plain)
				if !bytes.Equal(protected[:header], plain[:header]) {
					t.Error("ProtectRTP changed the RTP header")
				}
				if shape.packet.payload > 0 && bytes.Equal(protected[header:len(plain)], plain[header:]) {
					t.Error("ProtectRTP left the payload in clear")
				}
				got, err := in.UnprotectRTP(protected)
				if err != nil {
					t.Fatalf("UnprotectRTP: %v", err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("UnprotectRTP returned %x, want %x", got, plain)
				}
			})
		}
	}
}

func TestRoundTripRTCP(t *testing.T) {
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, in := pair(t, p)
			for i := range 3 {
				plain := rtcpPacket(uint32(10 + i))
				protected, err := out.ProtectRTCP(clone(plain))
				if err != nil {
					t.Fatalf("ProtectRTCP: %v", err)
				}
				if len(protected) != len(plain)+p.RTCPOverhead() {
					t.Fatalf("ProtectRTCP returned %d bytes, want %d", len(protected), len(plain)+p.RTCPOverhead())
				}
				if bytes.Equal(protected[8:len(plain)], plain[8:]) {
					t.Error("ProtectRTCP left the body in clear")
				}
				got, err := in.UnprotectRTCP(protected)
				if err != nil {
					t.Fatalf("UnprotectRTCP: %v", err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("UnprotectRTCP returned %x, want %x", got, plain)
				}
			}
		})
	}
}

// TestWritesStayWithinOverhead checks that libsrtp writes nothing past the overhead it is
// documented here to append, although its header asks for SRTP_MAX_TRAILER_LEN.
func TestWritesStayWithinOverhead(t *testing.T) {
	const canary = 0xa5
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, _ := pair(t, p)
			cases := []struct {
				name     string
				plain    []byte
				overhead int
				protect  func([]byte) ([]byte, error)
			}{
				{"RTP", rtpPacket{ssrc: 1, seq: 1, extWords: -1, payload: 1188}.build(), p.RTPOverhead(), out.ProtectRTP},
				{"RTCP", rtcpPacket(1), p.RTCPOverhead(), out.ProtectRTCP},
			}
			for _, c := range cases {
				arena := bytes.Repeat([]byte{canary}, len(c.plain)+c.overhead+256)
				end := len(c.plain) + c.overhead
				pkt := arena[:len(c.plain):end]
				copy(pkt, c.plain)
				if _, err := c.protect(pkt); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				for i, b := range arena[end:] {
					if b != canary {
						t.Fatalf("%s: byte %d past the overhead was written", c.name, i)
					}
				}
			}
		})
	}
}

func TestManySSRCs(t *testing.T) {
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, in := pair(t, p)
			for seq := range uint16(3) {
				for ssrc := range uint32(50) {
					plain := rtpPacket{ssrc: ssrc, seq: seq, extWords: -1, payload: 20}.build()
					protected, err := out.ProtectRTP(clone(plain))
					if err != nil {
						t.Fatalf("ssrc %d seq %d: ProtectRTP: %v", ssrc, seq, err)
					}
					if got, err := in.UnprotectRTP(protected); err != nil || !bytes.Equal(got, plain) {
						t.Fatalf("ssrc %d seq %d: UnprotectRTP: %v", ssrc, seq, err)
					}
				}
			}
		})
	}
}

func TestReplay(t *testing.T) {
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, in := pair(t, p)
			protect := func(seq uint16) []byte {
				pkt, err := out.ProtectRTP(rtpPacket{ssrc: 7, seq: seq, extWords: -1, payload: 10}.build())
				if err != nil {
					t.Fatalf("ProtectRTP(seq %d): %v", seq, err)
				}
				return pkt
			}
			first := protect(1)
			copyOfFirst := clone(first)
			old := protect(2)
			newest := protect(2 + ReplayWindow + 10)
			if _, err := in.UnprotectRTP(first); err != nil {
				t.Fatalf("UnprotectRTP: %v", err)
			}
			if _, err := in.UnprotectRTP(newest); err != nil {
				t.Fatalf("UnprotectRTP: %v", err)
			}
			for name, pkt := range map[string][]byte{"duplicate": copyOfFirst, "older than the window": old} {
				_, err := in.UnprotectRTP(pkt)
				if !errors.Is(err, ErrReplay) || errors.Is(err, ErrAuth) {
					t.Errorf("%s: UnprotectRTP error = %v, want ErrReplay", name, err)
				}
			}

			rtcp, err := out.ProtectRTCP(rtcpPacket(7))
			if err != nil {
				t.Fatal(err)
			}
			again := clone(rtcp)
			if _, err := in.UnprotectRTCP(rtcp); err != nil {
				t.Fatalf("UnprotectRTCP: %v", err)
			}
			if _, err := in.UnprotectRTCP(again); !errors.Is(err, ErrReplay) {
				t.Errorf("duplicate SRTCP: error = %v, want ErrReplay", err)
			}
		})
	}
}

func TestRetransmitSameIndex(t *testing.T) {
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, in := pair(t, p)
			plain := rtpPacket{ssrc: 8, seq: 100, extWords: -1, payload: 30}.build()
			first, err := out.ProtectRTP(clone(plain))
			if err != nil {
				t.Fatal(err)
			}
			resent, err := out.ProtectRTP(clone(plain))
			if err != nil {
				t.Fatalf("protecting a packet again (NACK answer): %v", err)
			}
			if !bytes.Equal(first, resent) {
				t.Error("protecting the same packet twice gave different bytes")
			}
			if _, err := in.UnprotectRTP(resent); err != nil {
				t.Fatalf("UnprotectRTP: %v", err)
			}
			if _, err := out.ProtectRTP(rtpPacket{ssrc: 8, seq: 100 + ReplayWindow + 1, extWords: -1, payload: 30}.build()); err != nil {
				t.Fatal(err)
			}
			if _, err := out.ProtectRTP(clone(plain)); !errors.Is(err, ErrReplay) {
				t.Errorf("protecting again a packet older than the window: error = %v, want ErrReplay", err)
			}
		})
	}
}

func TestAuthFailure(t *testing.T) {
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, in := pair(t, p)
			plain := rtpPacket{ssrc: 9, seq: 1, csrcs: 1, extWords: 1, payload: 40}.build()
			protected, err := out.ProtectRTP(clone(plain))
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range []struct {
				name  string
				index int
			}{{"header", 1}, {"CSRC", 13}, {"extension", 21}, {"payload", 30}, {"tag", len(protected) - 1}} {
				forged := clone(protected)
				forged[at.index] ^= 0x01
				_, err := in.UnprotectRTP(forged)
				if !errors.Is(err, ErrAuth) || errors.Is(err, ErrReplay) {
					t.Errorf("bit flipped in %s: error = %v, want ErrAuth", at.name, err)
				}
			}
			key, salt := masterKey(t, p)
			stranger, err := NewInbound(p, key, salt)
			if err != nil {
				t.Fatal(err)
			}
			defer stranger.Close()
			if _, err := stranger.UnprotectRTP(clone(protected)); !errors.Is(err, ErrAuth) {
				t.Errorf("other key: error = %v, want ErrAuth", err)
			}
			// Failed packets must not move the replay window: the genuine one still passes.
			if got, err := in.UnprotectRTP(protected); err != nil || !bytes.Equal(got, plain) {
				t.Errorf("genuine packet after forgeries: %v", err)
			}

			rtcp, err := out.ProtectRTCP(rtcpPacket(9))
			if err != nil {
				t.Fatal(err)
			}
			rtcp[9] ^= 0x80
			if _, err := in.UnprotectRTCP(rtcp); !errors.Is(err, ErrAuth) {
				t.Errorf("forged SRTCP: error = %v, want ErrAuth", err)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	out, in := pair(t, ProfileAES128CMHMACSHA1_80)
	pkt, err := out.ProtectRTP(rtpPacket{ssrc: 1, seq: 1, extWords: -1, payload: 10}.build())
	if err != nil {
		t.Fatal(err)
	}
	pkt[len(pkt)-1] ^= 1
	_, err = in.UnprotectRTP(pkt)
	var srtpErr *Error
	if !errors.As(err, &srtpErr) {
		t.Fatalf("error %v is not an *Error", err)
	}
	want := "srtp: unprotect RTP: authentication failure (srtp_err_status_auth_fail)"
	if err.Error() != want || srtpErr.Status != 7 {
		t.Errorf("error = %q (status %d), want %q (status 7)", err, srtpErr.Status, want)
	}
	if unknown := statusError(opCreate, 99); !strings.Contains(unknown.Error(), "srtp_err_status(99)") {
		t.Errorf("unknown status: %q", unknown)
	}
}

func TestMalformedPackets(t *testing.T) {
	out, in := pair(t, ProfileAEADAES128GCM)
	valid := rtpPacket{ssrc: 1, seq: 1, extWords: -1, payload: 4}.build()
	tests := []struct {
		name string
		op   func([]byte) ([]byte, error)
		pkt  []byte
	}{
		{"unprotect RTP empty", in.UnprotectRTP, nil},
		{"unprotect RTP header only", in.UnprotectRTP, valid[:12]},
		{"unprotect RTP shorter than the tag", in.UnprotectRTP, valid[:12+15]},
		{"unprotect RTP version 1", in.UnprotectRTP, append([]byte{0x40}, make([]byte, 40)...)},
		{"unprotect RTP CSRCs past the end", in.UnprotectRTP, append([]byte{0x8f}, make([]byte, 40)...)},
		{"unprotect RTP extension header past the end", in.UnprotectRTP, append([]byte{0x90}, make([]byte, 12)...)},
		{"unprotect RTP extension past the end", in.UnprotectRTP, append([]byte{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff}, make([]byte, 40)...)},
		{"unprotect RTCP short", in.UnprotectRTCP, append([]byte{0x80}, make([]byte, 26)...)},
		{"unprotect RTCP version 0", in.UnprotectRTCP, make([]byte, 60)},
		{"protect RTP short", out.ProtectRTP, valid[:11]},
		{"protect RTP extension past the end", out.ProtectRTP, []byte{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1}},
		{"protect RTCP short", out.ProtectRTCP, []byte{0x80, 200, 0, 1, 0, 0, 0}},
		{"protect RTCP version 3", out.ProtectRTCP, append([]byte{0xc0}, make([]byte, 27)...)},
		{"protect RTP too long", out.ProtectRTP, append(clone(valid[:12]), make([]byte, maxPacketLen)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pkt []byte
			if tt.pkt != nil {
				pkt = clone(tt.pkt)
			}
			if _, err := tt.op(pkt); !errors.Is(err, ErrMalformedPacket) {
				t.Errorf("error = %v, want ErrMalformedPacket", err)
			}
		})
	}
}

func TestBufferRequirements(t *testing.T) {
	for _, p := range testProfiles {
		t.Run(p.String(), func(t *testing.T) {
			out, _ := pair(t, p)
			rtp := rtpPacket{ssrc: 1, seq: 1, extWords: -1, payload: 100}.build()
			rtcp := rtcpPacket(1)
			if _, err := out.ProtectRTP(rtp[: len(rtp) : len(rtp)+p.RTPOverhead()-1]); !errors.Is(err, ErrShortBuffer) {
				t.Errorf("RTP one byte short: error = %v, want ErrShortBuffer", err)
			}
			if _, err := out.ProtectRTCP(rtcp[: len(rtcp) : len(rtcp)+p.RTCPOverhead()-1]); !errors.Is(err, ErrShortBuffer) {
				t.Errorf("RTCP one byte short: error = %v, want ErrShortBuffer", err)
			}
			if _, err := out.ProtectRTP(rtp[: len(rtp) : len(rtp)+p.RTPOverhead()]); err != nil {
				t.Errorf("RTP with exact room: %v", err)
			}
			if _, err := out.ProtectRTCP(rtcp[: len(rtcp) : len(rtcp)+p.RTCPOverhead()]); err != nil {
				t.Errorf("RTCP with exact room: %v", err)
			}
			shifted := make([]byte, 1+len(rtp)+MaxRTPOverhead)
			copy(shifted[1:], rtp)
			if _, err := out.ProtectRTP(shifted[1 : 1+len(rtp)]); !errors.Is(err, ErrUnaligned) {
				t.Errorf("unaligned: error = %v, want ErrUnaligned", err)
			}
		})
	}
}

func TestConstructorErrors(t *testing.T) {
	key16, salt12, salt14 := make([]byte, 16), make([]byte, 12), make([]byte, 14)
	tests := []struct {
		name      string
		profile   Profile
		key, salt []byte
		want      error
	}{
		{"unknown profile", Profile(0), key16, salt14, ErrBadProfile},
		{"AES_CM_128_HMAC_SHA1_32 is not offered", Profile(2), key16, salt14, ErrBadProfile},
		{"GCM with a CM salt", ProfileAEADAES128GCM, key16, salt14, ErrBadKey},
		{"CM with a GCM salt", ProfileAES128CMHMACSHA1_80, key16, salt12, ErrBadKey},
		{"short key", ProfileAEADAES128GCM, key16[:15], salt12, ErrBadKey},
		{"nil key", ProfileAES128CMHMACSHA1_80, nil, salt14, ErrBadKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := NewInbound(tt.profile, tt.key, tt.salt)
			if !errors.Is(err, tt.want) || in != nil {
				t.Errorf("NewInbound: (%v, %v), want (nil, %v)", in, err, tt.want)
			}
			out, err := NewOutbound(tt.profile, tt.key, tt.salt)
			if !errors.Is(err, tt.want) || out != nil {
				t.Errorf("NewOutbound: (%v, %v), want (nil, %v)", out, err, tt.want)
			}
		})
	}
}

func TestClose(t *testing.T) {
	key, salt := masterKey(t, ProfileAEADAES128GCM)
	out, err := NewOutbound(ProfileAEADAES128GCM, key, salt)
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInbound(ProfileAEADAES128GCM, key, salt)
	if err != nil {
		t.Fatal(err)
	}
	if out.Profile() != ProfileAEADAES128GCM || in.Profile() != ProfileAEADAES128GCM {
		t.Errorf("Profile() = %v, %v", out.Profile(), in.Profile())
	}
	if err := out.Close(); err != nil {
		t.Fatalf("Outbound.Close: %v", err)
	}
	if err := in.Close(); err != nil {
		t.Fatalf("Inbound.Close: %v", err)
	}
	var nilIn *Inbound
	var nilOut *Outbound
	pkt := rtpPacket{ssrc: 1, seq: 1, extWords: -1, payload: 20}.build()
	uses := map[string]func() error{
		"Outbound.Close again": out.Close,
		"Inbound.Close again":  in.Close,
		"ProtectRTP":           func() error { _, err := out.ProtectRTP(clone(pkt)); return err },
		"ProtectRTCP":          func() error { _, err := out.ProtectRTCP(rtcpPacket(1)); return err },
		"UnprotectRTP":         func() error { _, err := in.UnprotectRTP(append(clone(pkt), make([]byte, 16)...)); return err },
		"UnprotectRTCP":        func() error { _, err := in.UnprotectRTCP(append(rtcpPacket(1), make([]byte, 20)...)); return err },
		"nil Inbound":          func() error { _, err := nilIn.UnprotectRTP(pkt); return err },
		"nil Inbound RTCP":     func() error { _, err := nilIn.UnprotectRTCP(pkt); return err },
		"nil Inbound Close":    nilIn.Close,
		"nil Outbound":         func() error { _, err := nilOut.ProtectRTP(pkt); return err },
		"nil Outbound RTCP":    func() error { _, err := nilOut.ProtectRTCP(pkt); return err },
		"nil Outbound Close":   nilOut.Close,
	}
	for name, use := range uses {
		if err := use(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: error = %v, want ErrClosed", name, err)
		}
	}
	if nilIn.Profile() != 0 || nilOut.Profile() != 0 {
		t.Error("Profile() of nil contexts is not 0")
	}
}
