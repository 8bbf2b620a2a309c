package media

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// timesHandler keeps the times it is given.
type timesHandler struct{ rtp, rtcp []time.Duration }

func (h *timesHandler) onState(webrtc.State, webrtc.Reason) {}
func (h *timesHandler) onRTP(_ []byte, now time.Duration)   { h.rtp = append(h.rtp, now) }
func (h *timesHandler) onRTCP(_ []byte, now time.Duration)  { h.rtcp = append(h.rtcp, now) }

// TestHandlerAdapterTimes: the media plane's time of a packet is the session's receive time, and converts back to
// it exactly, so that the listener's session measures forwarding from the real arrival.
func TestHandlerAdapterTimes(t *testing.T) {
	h := &timesHandler{}
	a := &handlerAdapter{h: h}
	received := time.Now()
	a.OnRTP(nil, nil, received)
	a.OnRTCP(nil, nil, received.Add(time.Millisecond))
	if len(h.rtp) != 1 || len(h.rtcp) != 1 || h.rtp[0] != onClock(received) ||
		h.rtcp[0] != onClock(received)+time.Millisecond {
		t.Fatalf("times rtp %v rtcp %v, want %v and 1 ms more", h.rtp, h.rtcp, onClock(received))
	}
	if back := wallTime(h.rtp[0]); !back.Equal(received) {
		t.Fatalf("wallTime(onClock(t)) = %v, want %v", back, received)
	}
}
