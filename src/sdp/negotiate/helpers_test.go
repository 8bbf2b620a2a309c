package negotiate

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// testLocal is a server with an IPv4 and an IPv6 host candidate on one port.
func testLocal() Local {
	return Local{
		ICEUfrag:     "srvU",
		ICEPwd:       "serverpasswordserverpw",
		Fingerprints: []sdp.Fingerprint{{HashFunction: "sha-256", Value: strings.Repeat("0F:", 31) + "0F"}},
		Addrs: []netip.AddrPort{netip.MustParseAddrPort("192.0.2.10:3478"),
			netip.MustParseAddrPort("[2001:db8::10]:3478")},
		SessionID:      42,
		SessionVersion: 2,
	}
}

// load parses a file of ../testdata.
func load(tb testing.TB, path string) *sdp.Session {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", path))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := sdp.Unmarshal(data)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return s
}

// reparse writes s and parses it again, as the peer will.
func reparse(tb testing.TB, s *sdp.Session) *sdp.Session {
	tb.Helper()
	text, err := s.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	again, err := sdp.Unmarshal(text)
	if err != nil {
		tb.Fatalf("the written description does not parse: %v\n%s", err, text)
	}
	return again
}

// withVideo returns the default preferences with other video codecs.
func withVideo(codecs ...sdp.Codec) Preferences {
	p := DefaultPreferences()
	p.Video = codecs
	return p
}

var (
	vp8        = sdp.Codec{Name: "VP8", ClockRate: 90000}
	h264CB     = sdp.Codec{Name: "H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"}
	h264High   = sdp.Codec{Name: "H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=640c1f"}
	vp9        = sdp.Codec{Name: "VP9", ClockRate: 90000}
	av1        = sdp.Codec{Name: "AV1", ClockRate: 90000}
	allFeedack = []sdp.Feedback{sdp.FeedbackNACK, sdp.FeedbackPLI, sdp.FeedbackFIR, sdp.FeedbackREMB,
		sdp.FeedbackTransportCC}
)
