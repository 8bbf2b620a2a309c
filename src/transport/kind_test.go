package transport

import "testing"

func TestClassify(t *testing.T) {
	rtp := func(first, second byte) []byte {
		b := make([]byte, minRTPHeader)
		b[0], b[1] = first, second
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want Kind
	}{
		{"empty", nil, KindUnknown},
		{"STUN 0", []byte{0, 1, 0, 0}, KindSTUN},
		{"STUN 3", []byte{3}, KindSTUN},
		{"ZRTP 16..19", []byte{16}, KindUnknown},
		{"DTLS 20", []byte{20}, KindDTLS},
		{"DTLS handshake", []byte{22, 0xfe, 0xfd}, KindDTLS},
		{"DTLS 63", []byte{63}, KindDTLS},
		{"TURN channel 64", []byte{64, 0}, KindUnknown},
		{"127", []byte{127}, KindUnknown},
		{"RTP PT 96", rtp(0x80, 96), KindRTP},
		{"RTP PT 96 with marker", rtp(0x80, 0x80|96), KindRTP},
		{"RTP PT 0", rtp(0x80, 0), KindRTP},
		{"RTCP SR 200", rtp(0x80, 200), KindRTCP},
		{"RTCP 192 (FIR, RFC 2032)", rtp(0x80, 192), KindRTCP},
		{"RTCP 223", rtp(0x80, 223), KindRTCP},
		{"RTP PT 96 with marker is 224", rtp(0x80, 224), KindRTP},
		{"RTP 191", rtp(191, 96), KindRTP},
		{"RTP too short", []byte{0x80, 96, 0, 1}, KindUnknown},
		{"192", rtp(192, 96), KindUnknown},
		{"255", rtp(255, 96), KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.b); got != tt.want {
				t.Fatalf("Classify(% x) = %s, want %s", tt.b, got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindUnknown: "unknown", KindSTUN: "stun", KindDTLS: "dtls", KindRTP: "rtp",
		KindRTCP: "rtcp", Kind(99): "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
}
