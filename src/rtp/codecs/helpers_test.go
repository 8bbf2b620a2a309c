package codecs

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// unhex decodes a hex string in which spaces only help reading.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// capturedPackets reads testdata/<name>.rtp: RTP packets sent by GStreamer's payloaders (rtpvp8pay, rtpvp9pay,
// rtph264pay, rtpopuspay) for a 176x144 ball test pattern with a key frame every 5 frames, each packet preceded by
// its 4-byte big-endian length.
func capturedPackets(t testing.TB, name string) []rtp.Packet {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name + ".rtp")
	if err != nil {
		t.Fatal(err)
	}
	var pkts []rtp.Packet
	for len(data) >= 4 {
		n := int(binary.BigEndian.Uint32(data))
		if n > len(data)-4 {
			t.Fatalf("%s: truncated record", name)
		}
		var p rtp.Packet
		if err := p.Unmarshal(data[4 : 4+n]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pkts = append(pkts, p)
		data = data[4+n:]
	}
	return pkts
}
