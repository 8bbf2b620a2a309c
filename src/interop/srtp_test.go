package interop

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	pionrtcp "github.com/pion/rtcp"
	pionrtp "github.com/pion/rtp"
	pionsrtp "github.com/pion/srtp/v3"

	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
)

// srtpProfiles pairs each of our profiles with pion's.
var srtpProfiles = []struct {
	ours srtp.Profile
	pion pionsrtp.ProtectionProfile
}{
	{srtp.ProfileAEADAES128GCM, pionsrtp.ProtectionProfileAeadAes128Gcm},
	{srtp.ProfileAES128CMHMACSHA1_80, pionsrtp.ProtectionProfileAes128CmHmacSha1_80},
}

// srtpKeys returns a random master key and salt for p.
func srtpKeys(t *testing.T, p srtp.Profile) (key, salt []byte) {
	t.Helper()
	key, salt = make([]byte, p.KeyLen()), make([]byte, p.SaltLen())
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	return key, salt
}

// srtpBuffer copies pkt into a buffer with the spare capacity our contexts need.
func srtpBuffer(pkt []byte) []byte {
	return append(make([]byte, 0, len(pkt)+srtp.MaxRTCPOverhead), pkt...)
}

// srtpRTPPackets returns RTP packets of several shapes whose sequence numbers wrap around
// 65535, so that both sides must agree on the rollover counter.
func srtpRTPPackets(t *testing.T) [][]byte {
	t.Helper()
	var packets [][]byte
	for i := range 12 {
		p := pionrtp.Packet{
			Header: pionrtp.Header{
				Version: 2, PayloadType: 96, SequenceNumber: uint16(65530 + i), Timestamp: uint32(3000 * i),
				SSRC: 0x1234abcd + uint32(i%3), Marker: i%4 == 0,
			},
			Payload: bytes.Repeat([]byte{byte(i)}, 100*i),
		}
		if i%3 == 1 {
			p.Header.CSRC = []uint32{1, 2}
		}
		if i%3 == 2 {
			if err := p.Header.SetExtension(1, []byte{0xaa, 0xbb}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 5 {
			p.Header.Padding, p.Header.PaddingSize = true, 4
		}
		buf, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, buf)
	}
	return packets
}

// srtpRTCPPackets returns compound RTCP packets from two senders.
func srtpRTCPPackets(t *testing.T) [][]byte {
	t.Helper()
	var packets [][]byte
	for i := range 4 {
		ssrc := uint32(0xcafe0000 + i%2)
		compound := []pionrtcp.Packet{
			&pionrtcp.SenderReport{SSRC: ssrc, NTPTime: uint64(i) << 32, RTPTime: uint32(i), PacketCount: uint32(i)},
			&pionrtcp.SourceDescription{Chunks: []pionrtcp.SourceDescriptionChunk{{
				Source: ssrc, Items: []pionrtcp.SourceDescriptionItem{{Type: pionrtcp.SDESCNAME, Text: "interop"}},
			}}},
		}
		buf, err := pionrtcp.Marshal(compound)
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, buf)
	}
	return packets
}

func TestSRTPProfileNumbersMatchPion(t *testing.T) {
	for _, p := range srtpProfiles {
		if uint16(p.ours) != uint16(p.pion) {
			t.Errorf("%v = %#04x, pion's %v = %#04x", p.ours, uint16(p.ours), p.pion, uint16(p.pion))
		}
		if keyLen, _ := p.pion.KeyLen(); keyLen != p.ours.KeyLen() {
			t.Errorf("%v key length %d, pion %d", p.ours, p.ours.KeyLen(), keyLen)
		}
		if saltLen, _ := p.pion.SaltLen(); saltLen != p.ours.SaltLen() {
			t.Errorf("%v salt length %d, pion %d", p.ours, p.ours.SaltLen(), saltLen)
		}
	}
}

// TestSRTPFromPion: packets protected by pion are unprotected by ours, RTP and RTCP.
func TestSRTPFromPion(t *testing.T) {
	for _, p := range srtpProfiles {
		t.Run(p.ours.String(), func(t *testing.T) {
			key, salt := srtpKeys(t, p.ours)
			pion, err := pionsrtp.CreateContext(key, salt, p.pion)
			if err != nil {
				t.Fatal(err)
			}
			in, err := srtp.NewInbound(p.ours, key, salt)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()

			for i, plain := range srtpRTPPackets(t) {
				protected, err := pion.EncryptRTP(nil, plain, nil)
				if err != nil {
					t.Fatalf("pion EncryptRTP #%d: %v", i, err)
				}
				if i == 0 {
					// libsrtp checks the replay window before the tag: forge a packet not yet seen.
					forged := srtpBuffer(protected)
					forged[len(forged)-1] ^= 0x40
					if _, err := in.UnprotectRTP(forged); !errors.Is(err, srtp.ErrAuth) {
						t.Errorf("pion's packet with a flipped tag bit: error = %v, want ErrAuth", err)
					}
				}
				got, err := in.UnprotectRTP(srtpBuffer(protected))
				if err != nil {
					t.Fatalf("UnprotectRTP of pion's packet #%d: %v", i, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("packet #%d: got %x, want %x", i, got, plain)
				}
				if _, err := in.UnprotectRTP(srtpBuffer(protected)); !errors.Is(err, srtp.ErrReplay) {
					t.Errorf("pion's packet #%d replayed: error = %v, want ErrReplay", i, err)
				}
			}
			for i, plain := range srtpRTCPPackets(t) {
				protected, err := pion.EncryptRTCP(nil, plain, nil)
				if err != nil {
					t.Fatalf("pion EncryptRTCP #%d: %v", i, err)
				}
				got, err := in.UnprotectRTCP(srtpBuffer(protected))
				if err != nil {
					t.Fatalf("UnprotectRTCP of pion's packet #%d: %v", i, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("RTCP #%d: got %x, want %x", i, got, plain)
				}
			}
		})
	}
}

// TestSRTPToPion: packets protected by ours are unprotected by pion, RTP and RTCP.
func TestSRTPToPion(t *testing.T) {
	for _, p := range srtpProfiles {
		t.Run(p.ours.String(), func(t *testing.T) {
			key, salt := srtpKeys(t, p.ours)
			pion, err := pionsrtp.CreateContext(key, salt, p.pion,
				pionsrtp.SRTPReplayProtection(64), pionsrtp.SRTCPReplayProtection(64))
			if err != nil {
				t.Fatal(err)
			}
			out, err := srtp.NewOutbound(p.ours, key, salt)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()

			for i, plain := range srtpRTPPackets(t) {
				protected, err := out.ProtectRTP(srtpBuffer(plain))
				if err != nil {
					t.Fatalf("ProtectRTP #%d: %v", i, err)
				}
				got, err := pion.DecryptRTP(nil, protected, nil)
				if err != nil {
					t.Fatalf("pion DecryptRTP of our packet #%d: %v", i, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("packet #%d: got %x, want %x", i, got, plain)
				}
			}
			for i, plain := range srtpRTCPPackets(t) {
				protected, err := out.ProtectRTCP(srtpBuffer(plain))
				if err != nil {
					t.Fatalf("ProtectRTCP #%d: %v", i, err)
				}
				got, err := pion.DecryptRTCP(nil, protected, nil)
				if err != nil {
					t.Fatalf("pion DecryptRTCP of our packet #%d: %v", i, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("RTCP #%d: got %x, want %x", i, got, plain)
				}
			}
		})
	}
}
