package media

import (
	"context"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// hasTransportCC tells whether every section of a description has the transport-wide sequence number extension
// and transport-cc feedback on its first codec.
func hasTransportCC(t *testing.T, text string) bool {
	t.Helper()
	s, err := sdp.Unmarshal([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	all := true
	for _, m := range s.Media {
		_, ext := sdp.ExtMapID(m.ExtMaps, negotiate.ExtTransportCC)
		codecs := m.Codecs()
		fb := len(codecs) > 0 && codecs[0].HasFeedback(sdp.FeedbackTransportCC)
		all = all && ext && fb
	}
	return all
}

func TestPlaneNegotiatesTransportCC(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(map[bool]string{false: "on", true: "off"}[off], func(t *testing.T) {
			tp := newTestPlane(t, Config{NoTransportCC: off})
			tp.Joined(room, "A")
			tp.Joined(room, "B")
			answer, err := tp.Publish(context.Background(), room, "A", loadOffer(t, "chromium156-audio-video.sdp"))
			if err != nil {
				t.Fatal(err)
			}
			if got := hasTransportCC(t, answer); got == off {
				t.Fatalf("publisher answer with transport-cc %v, want %v:\n%s", got, !off, answer)
			}
			if !off && !strings.Contains(answer, "goog-remb") {
				t.Fatalf("publisher answer without goog-remb alongside transport-cc:\n%s", answer)
			}
			u := tp.upstreamOf("A")
			send(u, u.audio, 1, 0, opus, 0)
			ev := tp.waitEvents(t, "B", protocol.EventExchangeSdp, 1)[0].data.(protocol.ExchangeSdpEvent)
			if got := hasTransportCC(t, ev.SDP.SDP); got == off {
				t.Fatalf("listener offer with transport-cc %v, want %v:\n%s", got, !off, ev.SDP.SDP)
			}
		})
	}
}
