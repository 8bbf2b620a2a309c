package media

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
	"github.com/heytribe/live-webrtcsignaling/src/webrtc"
)

// forwarder is the forwarding engine: the media side of every session, apart from who receives whom. It makes the
// upstreams (a publisher's session: its tracks, loss recovery and feedback) and the downlinks (a receiver's session
// for one publisher: its downtracks, feedback and bandwidth estimate), and attaches a downlink's downtracks to the
// sources that feed them. The Plane decides what to attach to what, and calls these methods with its own lock held,
// so that attach and detach follow its decisions in order; the forwarder never calls back into the Plane with a lock
// held, only through the sessionHooks it was given.
type forwarder struct {
	counters *counters
	// cname is the server's CNAME in the RTCP it sends publishers.
	cname            string
	keyframeInterval time.Duration
	// minBitrate and maxBitrate clamp the REMB sent to publishers.
	minBitrate, maxBitrate uint64
	// tc transcodes publishers' video; nil when transcoding is off. rembFloor is then the best tier's bitrate: a
	// receiver of a publisher's own stream whose estimate falls below it moves to a tier, so it never brings the
	// publisher's REMB lower.
	tc        *transcoding
	rembFloor uint64

	// mu serialises the changes of what feeds what: feeds attached and detached, switches asked for.
	mu sync.Mutex
}

func newForwarder(cfg *Config, c *counters) *forwarder {
	fw := &forwarder{
		counters:         c,
		cname:            randomToken(16),
		keyframeInterval: cfg.KeyframeInterval,
		minBitrate:       cfg.MinVideoBitrate,
		maxBitrate:       cfg.MaxVideoBitrate,
	}
	if cfg.Transcoder != nil {
		fw.tc = newTranscoding(cfg, fw)
		fw.rembFloor = uint64(cfg.Tiers[0].Bitrate)
	}
	return fw
}

// sessionHooks are how the forwarder tells the orchestration about a session it handles. They run on the session's
// goroutine and must not block.
type sessionHooks struct {
	// flowing runs once, at the first packet received (upstream) or sent (downlink).
	flowing func()
	// ended runs once, at the session's final state.
	ended func(state webrtc.State, reason webrtc.Reason)
}

// pathRTT is the round trip to one participant, in nanoseconds, 0 unknown: its downlinks measure it (RR against the
// server's SRs) and its upstream paces its NACKs with it, both directions sharing the path.
type pathRTT struct{ nanos atomic.Int64 }

func (r *pathRTT) set(d time.Duration) { r.nanos.Store(int64(d)) }

// get returns the round trip, or fallback when none was measured.
func (r *pathRTT) get(fallback time.Duration) time.Duration {
	if d := time.Duration(r.nanos.Load()); d > 0 {
		return d
	}
	return fallback
}

// feed is what a downlink receives from an upstream through one negotiation: its downtracks, nil for a kind the
// receiver does not take.
type feed struct {
	up           *upstream
	downlink     *downlink
	audio, video *downtrack
	// transportCC: the receiver negotiated transport-cc (the extension and the feedback) on a section.
	transportCC bool
	// noVideo is the reason of eventWebrtcDown when the publisher sends video and the receiver gets none: it
	// decodes no codec the server can send, or the encoder budget is spent.
	noVideo string
}

// downtracks are f's downtracks, audio first; either may be nil.
func (f *feed) downtracks() [2]*downtrack { return [2]*downtrack{f.audio, f.video} }

// newFeed builds the downtracks of dl from the receiver's answer to an offer made for up's tracks.
func (fw *forwarder) newFeed(dl *downlink, up *upstream, result *negotiate.Result) (*feed, error) {
	if len(result.Media) != len(up.tracks) {
		return nil, fmt.Errorf("media: answer has %d sections for %d tracks", len(result.Media), len(up.tracks))
	}
	f := &feed{up: up, downlink: dl}
	tcc := false
	for i, m := range result.Media {
		t := up.tracks[i]
		if m.Rejected {
			if t.kind == sdp.KindVideo {
				f.noVideo = protocol.ReasonNoVideoCodec
			}
			continue
		}
		if m.Kind != t.kind {
			return nil, fmt.Errorf("media: answer section %d is %s, the offer's is %s", i, m.Kind, t.kind)
		}
		params := downtrackParams{
			ssrc:        dl.audioSSRC,
			payloadType: m.Codec.PayloadType,
			ext:         newExtensionMap(t.extensions, m.Extensions),
			nack:        m.Codec.HasFeedback(sdp.FeedbackNACK),
		}
		if params.ext.transportCC != 0 && m.Codec.HasFeedback(sdp.FeedbackTransportCC) {
			tcc = true
		} else {
			params.ext.transportCC = 0
		}
		if t.kind == sdp.KindVideo {
			params.ssrc, params.rtxSSRC, params.rtxPayloadType = dl.videoSSRC, dl.rtxSSRC, m.Codec.RTXPayloadType
		}
		src := t.src
		if t.kind == sdp.KindVideo && !strings.EqualFold(m.Codec.Name, t.codec.Name) {
			ts, err := fw.translation(t, m.Codec.Name)
			if err != nil {
				f.noVideo = protocol.ReasonTranscoderBusy
				continue
			}
			src = ts.src
		}
		d, err := newDowntrack(f, src, fw.counters, params)
		if err != nil {
			return nil, err
		}
		if t.kind == sdp.KindVideo {
			f.video = d
		} else {
			f.audio = d
		}
	}
	if f.audio != nil && f.video != nil {
		f.audio.partner, f.video.partner = f.video, f.audio
	}
	f.transportCC = tcc
	return f, nil
}

// attach starts feeding f: it becomes its downlink's feed, in place of any other, and its downtracks get their
// sources' packets.
func (fw *forwarder) attach(f *feed) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.detachLocked(f.downlink)
	for _, d := range f.downtracks() {
		if d != nil {
			d.route.Load().from.add(d)
		}
	}
	f.up.feeds[f] = struct{}{}
	f.downlink.startSendSide(f)
	f.downlink.feed.Store(f)
}

// detach stops feeding dl.
func (fw *forwarder) detach(dl *downlink) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.detachLocked(dl)
}

func (fw *forwarder) detachLocked(dl *downlink) {
	if f := dl.feed.Swap(nil); f != nil {
		fw.unfeed(f)
	}
}

// detachUpstream stops feeding every downlink up feeds: up is being replaced, or has ended.
func (fw *forwarder) detachUpstream(up *upstream) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	for f := range up.feeds {
		f.downlink.feed.CompareAndSwap(f, nil)
		fw.unfeed(f)
	}
	if v := up.video; v != nil && v.tiers != nil && fw.tc != nil {
		fw.tc.remove(v.tiers)
	}
}

// unfeed takes f's downtracks off their sources. Called with fw.mu held.
func (fw *forwarder) unfeed(f *feed) {
	for _, d := range f.downtracks() {
		if d == nil {
			continue
		}
		r := d.route.Load()
		r.from.remove(d)
		if r.to != nil {
			r.to.remove(d)
		}
	}
	delete(f.up.feeds, f)
}

// translation is the tier a receiver that answered codec, another than the publisher's, starts on: the best one,
// or the nearest that runs when the encoder budget is spent. The policy then moves it as its estimate says.
func (fw *forwarder) translation(t *track, codec string) (*tierSource, error) {
	if t.tiers == nil {
		return nil, fmt.Errorf("media: %s is not transcoded", t.codec.Name)
	}
	ts, err := t.tiers.tier(codec, 0)
	if err == nil {
		return ts, nil
	}
	fw.tc.counters.guardRefusals.Add(1)
	if ts = t.tiers.nearest(codec, 0); ts != nil {
		return ts, nil
	}
	t.tiers.log.Warn("no tier for a receiver of another codec", "encoder", codec, "err", err)
	return nil, err
}
