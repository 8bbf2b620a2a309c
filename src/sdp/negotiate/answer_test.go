package negotiate

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// wantMedia is the expected outcome of one m= line; zero fields are not checked except Rejected.
type wantMedia struct {
	mid        string
	rejected   string // substring of the reason; "" when accepted
	codec      string
	pt, rtx    uint8
	feedback   []sdp.Feedback
	extensions map[string]uint16
	streams    []Stream
	rids       int
}

func TestAnswerPublisherFixtures(t *testing.T) {
	opusExt := map[string]uint16{ExtAbsSendTime: 2, ExtTransportCC: 3, ExtSDESMID: 4}
	chromeVideoExt := map[string]uint16{ExtAbsSendTime: 2, ExtVideoOrientation: 13, ExtTransportCC: 3, ExtSDESMID: 4}
	opus := wantMedia{mid: "0", codec: "opus", pt: 111, feedback: []sdp.Feedback{sdp.FeedbackTransportCC},
		extensions: opusExt}
	tests := []struct {
		name    string
		fixture string
		prefs   Preferences
		want    []wantMedia
	}{
		{"chromium audio+video takes VP8 first", "chromium156-audio-video.sdp", DefaultPreferences(), []wantMedia{
			opus, {mid: "1", codec: "VP8", pt: 96, rtx: 97, feedback: allFeedack, extensions: chromeVideoExt}}},
		{"chromium video only", "chromium156-video-only.sdp", DefaultPreferences(), []wantMedia{
			{mid: "0", codec: "VP8", pt: 96, rtx: 97}}},
		{"chromium H264 first: the server's preference wins", "chromium156-h264-first.sdp", DefaultPreferences(),
			[]wantMedia{opus, {mid: "1", codec: "VP8", pt: 96, rtx: 97}}},
		{"chromium H264 first with H264 preferred", "chromium156-h264-first.sdp", withVideo(h264CB, vp8),
			[]wantMedia{opus, {mid: "1", codec: "H264", pt: 108, rtx: 109}}},
		{"chromium H264 only against VP8 then H264", "chromium156-h264-only.sdp", DefaultPreferences(),
			[]wantMedia{opus, {mid: "1", codec: "H264", pt: 108, rtx: 109, feedback: allFeedack}}},
		{"chromium H264 only against a forced VP8", "chromium156-h264-only.sdp", withVideo(vp8),
			[]wantMedia{opus, {mid: "1", rejected: "no codec in common (offered H264)"}}},
		{"chromium VP9 preferred", "chromium156-audio-video.sdp", withVideo(vp9), []wantMedia{
			opus, {mid: "1", codec: "VP9", pt: 98, rtx: 99}}},
		{"chromium AV1 preferred", "chromium156-audio-video.sdp", withVideo(av1, vp8), []wantMedia{
			opus, {mid: "1", codec: "AV1", pt: 45, rtx: 46}}},
		{"chromium data channel is rejected, not dropped", "chromium156-datachannel.sdp", DefaultPreferences(),
			[]wantMedia{opus, {mid: "1", codec: "VP8", pt: 96, rtx: 97}, {mid: "2", rejected: "application sections are not supported"}}},
		{"chromium second video is rejected", "chromium156-two-video.sdp", DefaultPreferences(),
			[]wantMedia{opus, {mid: "1", codec: "VP8", pt: 96, rtx: 97}, {mid: "2", rejected: "only one video section"}}},
		{"chromium simulcast: rids recognised", "chromium156-simulcast.sdp", DefaultPreferences(),
			[]wantMedia{opus, {mid: "1", codec: "VP8", pt: 96, rtx: 97, rids: 3}}},
		{"chromium before permission", "chromium156-no-permission-sendonly.sdp", DefaultPreferences(),
			[]wantMedia{opus, {mid: "1", codec: "VP8", pt: 96, rtx: 97}}},
		{"firefox 52: second audio and recvonly video rejected", "firefox52-two-audio.sdp", DefaultPreferences(),
			[]wantMedia{
				{mid: "sdparta_0", codec: "opus", pt: 109, streams: []Stream{{SSRC: 2655508255,
					CNAME: "{735484ea-4f6c-f74a-bd66-7425f8476c2e}"}}},
				{mid: "sdparta_1", rejected: "only one audio section"},
				{mid: "sdparta_2", rejected: "the offer does not send (recvonly)"}}},
		{"firefox 86 video first", "firefox86-video-first.sdp", DefaultPreferences(), []wantMedia{
			{mid: "0", codec: "VP8", pt: 120, rtx: 124, feedback: allFeedack,
				extensions: map[string]uint16{ExtSDESMID: 3, ExtAbsSendTime: 4, ExtTransportCC: 7},
				streams:    []Stream{{SSRC: 359166818, RTXSSRC: 548086473, CNAME: "{7dcf03b8-6eb8-624e-a5a1-53d5c92d12bd}"}}},
			{mid: "1", codec: "opus", pt: 109, extensions: map[string]uint16{ExtSDESMID: 3}}}},
		{"firefox 86 H264 with packetization-mode 1 only", "firefox86-video-first.sdp", withVideo(h264CB),
			[]wantMedia{{mid: "0", codec: "H264", pt: 126, rtx: 127}, {mid: "1", codec: "opus"}}},
		{"firefox 99 simulcast: three FID pairs and rids", "firefox99-simulcast.sdp", DefaultPreferences(),
			[]wantMedia{{mid: "0", codec: "opus", pt: 109}, {mid: "1", codec: "VP8", pt: 120, rtx: 124, rids: 3,
				streams: []Stream{
					{SSRC: 1971525940, RTXSSRC: 4134942961, CNAME: "{59f23370-43c1-49f2-b6ea-a9284a56677d}"},
					{SSRC: 3676181775, RTXSSRC: 2729935507, CNAME: "{59f23370-43c1-49f2-b6ea-a9284a56677d}"},
					{SSRC: 2073390829, RTXSSRC: 3211939474, CNAME: "{59f23370-43c1-49f2-b6ea-a9284a56677d}"}}}}},
		{"android libwebrtc VP8", "android-libwebrtc-2025.sdp", DefaultPreferences(), []wantMedia{
			opus, {mid: "1", codec: "VP8", pt: 96, rtx: 97, extensions: chromeVideoExt,
				streams: []Stream{{SSRC: 4204706990, RTXSSRC: 2977195281, CNAME: "xl/A9umxV7d0GJqh"}}}}},
		{"android libwebrtc without H264 against H264 only", "android-libwebrtc-2025.sdp", withVideo(h264CB),
			[]wantMedia{opus, {mid: "1", rejected: "no codec in common (offered VP8, AV1, VP9, red, ulpfec)"}}},
		{"mobile libwebrtc: FID and FEC-FR groups", "mobile-libwebrtc-2019-fec.sdp", withVideo(h264CB, vp8),
			[]wantMedia{{mid: "audio", codec: "opus", pt: 111}, {mid: "video", codec: "H264", pt: 100, rtx: 101,
				extensions: map[string]uint16{ExtAbsSendTime: 3, ExtVideoOrientation: 4, ExtTransportCC: 5},
				streams:    []Stream{{SSRC: 4087522884, RTXSSRC: 3825769918, CNAME: "qXVJW4Pt43RfNLoC"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer, result, err := AnswerPublisher(load(t, "offers/"+tt.fixture), testLocal(), tt.prefs)
			if err != nil {
				t.Fatal(err)
			}
			checkMedia(t, result.Media, tt.want)
			checkAnswerMatches(t, reparse(t, answer), result)
		})
	}
}

func checkMedia(t *testing.T, got []Media, want []wantMedia) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d sections, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		switch {
		case g.MID != w.mid || g.Index != i:
			t.Errorf("section %d: mid %q index %d, want %q", i, g.MID, g.Index, w.mid)
		case w.rejected != "":
			if !g.Rejected || !strings.Contains(g.Reason, w.rejected) {
				t.Errorf("section %q: rejected %v %q, want rejected for %q", g.MID, g.Rejected, g.Reason, w.rejected)
			}
		case g.Rejected:
			t.Errorf("section %q rejected: %s", g.MID, g.Reason)
		case g.Codec.Name != w.codec || (w.pt != 0 && g.Codec.PayloadType != w.pt) || g.Codec.RTXPayloadType != w.rtx:
			t.Errorf("section %q: codec %s/%d rtx %d, want %s/%d rtx %d", g.MID, g.Codec.Name, g.Codec.PayloadType,
				g.Codec.RTXPayloadType, w.codec, w.pt, w.rtx)
		case w.feedback != nil && !reflect.DeepEqual(g.Codec.Feedback, w.feedback):
			t.Errorf("section %q: feedback %q, want %q", g.MID, g.Codec.Feedback, w.feedback)
		case w.streams != nil && !reflect.DeepEqual(g.Streams, w.streams):
			t.Errorf("section %q: streams %+v, want %+v", g.MID, g.Streams, w.streams)
		case len(g.RIDs) != w.rids:
			t.Errorf("section %q: %d rids, want %d", g.MID, len(g.RIDs), w.rids)
		}
		if w.extensions != nil {
			got := map[string]uint16{}
			for _, e := range g.Extensions {
				got[e.URI] = e.ID
			}
			if !reflect.DeepEqual(got, w.extensions) {
				t.Errorf("section %q: extensions %v, want %v", g.MID, got, w.extensions)
			}
		}
	}
}

// checkAnswerMatches checks that the written answer says what the result says, with the MCU's fixed choices.
func checkAnswerMatches(t *testing.T, answer *sdp.Session, result *Result) {
	t.Helper()
	if !answer.ICELite || len(answer.Media) != len(result.Media) {
		t.Fatalf("ice-lite %v, %d sections for %d", answer.ICELite, len(answer.Media), len(result.Media))
	}
	var bundled []string
	for i, r := range result.Media {
		m := answer.Media[i]
		if m.MID != r.MID {
			t.Errorf("answer section %d has mid %q, want %q", i, m.MID, r.MID)
		}
		if r.Rejected {
			if m.Port != 0 || len(m.Candidates) != 0 {
				t.Errorf("rejected section %q: port %d, %d candidates", r.MID, m.Port, len(m.Candidates))
			}
			continue
		}
		bundled = append(bundled, r.MID)
		codec, ok := m.Codec(r.Codec.PayloadType)
		if !ok || codec.Name != r.Codec.Name || !reflect.DeepEqual(codec.Feedback, r.Codec.Feedback) {
			t.Errorf("section %q: answer codec %+v, result %+v", r.MID, codec, r.Codec)
		}
		wantFormats := 1
		if r.Codec.RTXPayloadType != 0 {
			wantFormats = 2
		}
		tr := m.Transport
		switch {
		case len(m.Formats) != wantFormats:
			t.Errorf("section %q: formats %v", r.MID, m.Formats)
		case m.Direction != sdp.DirectionRecvOnly || !m.RTCPMux || m.RTCPRsize != r.RTCPReducedSize:
			t.Errorf("section %q: direction %q rtcp-mux %v rtcp-rsize %v", r.MID, m.Direction, m.RTCPMux, m.RTCPRsize)
		case tr.Setup != sdp.SetupPassive || tr.ICEUfrag != "srvU" || len(tr.Fingerprints) != 1:
			t.Errorf("section %q: transport %+v", r.MID, tr)
		case len(m.Candidates) != 2 || !m.EndOfCandidates || m.Port != 3478:
			t.Errorf("section %q: port %d candidates %+v end %v", r.MID, m.Port, m.Candidates, m.EndOfCandidates)
		case !reflect.DeepEqual(m.ExtMaps, r.Extensions):
			t.Errorf("section %q: extmaps %+v, result %+v", r.MID, m.ExtMaps, r.Extensions)
		}
	}
	if g := answer.Group("BUNDLE"); g != nil && !reflect.DeepEqual(g.MIDs, bundled) || g == nil && len(bundled) > 1 {
		t.Errorf("BUNDLE %+v, want %v", g, bundled)
	}
}

func TestAnswerPublisherSafari(t *testing.T) {
	offer := load(t, "offers/safari16-recvonly.sdp")
	if _, _, err := AnswerPublisher(offer, testLocal(), DefaultPreferences()); !errors.Is(err, ErrNoMedia) {
		t.Fatalf("a recvonly (viewer) offer: got %v, want ErrNoMedia", err)
	}
	// Safari publishing sends the same codec list with sendonly sections (WebKit's libwebrtc lists High profile
	// H264 first): turn the captured viewer offer into that.
	for _, m := range offer.Media {
		m.Direction = sdp.DirectionSendOnly
	}
	tests := []struct {
		name   string
		prefs  Preferences
		pt     uint8
		rtx    uint8
		reason string
	}{
		{"constrained baseline skips the High profile listed first", withVideo(h264CB), 98, 99, ""},
		{"High profile when asked for", withVideo(h264High), 96, 97, ""},
		{"VP8 when preferred", DefaultPreferences(), 104, 124, ""},
		{"packetization-mode 0 is not mode 1", withVideo(sdp.Codec{Name: "H264", ClockRate: 90000,
			Fmtp: "profile-level-id=42e01f"}), 102, 125, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, result, err := AnswerPublisher(offer, testLocal(), tt.prefs)
			if err != nil {
				t.Fatal(err)
			}
			video := result.Media[0]
			if video.Codec.PayloadType != tt.pt || video.Codec.RTXPayloadType != tt.rtx {
				t.Errorf("video %d rtx %d, want %d rtx %d", video.Codec.PayloadType, video.Codec.RTXPayloadType, tt.pt,
					tt.rtx)
			}
		})
	}
}

func TestAnswerPublisherIsDeterministic(t *testing.T) {
	offer := load(t, "offers/chromium156-h264-only.sdp")
	var first []byte
	for range 50 {
		answer, _, err := AnswerPublisher(offer, testLocal(), withVideo(h264CB))
		if err != nil {
			t.Fatal(err)
		}
		text, err := answer.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = text
		} else if !bytes.Equal(first, text) {
			t.Fatalf("two answers to the same offer differ:\n%s\n%s", first, text)
		}
	}
}

func TestAnswerPublisherRemoteTransport(t *testing.T) {
	_, result, err := AnswerPublisher(load(t, "offers/firefox86-video-first.sdp"), testLocal(),
		DefaultPreferences())
	if err != nil {
		t.Fatal(err)
	}
	r := result.Remote
	if r.ICEUfrag != "39eee73a" || r.ICEPwd != "9e94a539fcb3d3fca8bfe84e6876acd3" || r.Setup != sdp.SetupActPass {
		t.Errorf("remote transport %+v", r)
	}
	if len(r.Fingerprints) != 1 || !strings.HasPrefix(r.Fingerprints[0].Value, "38:F1:96") {
		t.Errorf("session-level fingerprint not used: %+v", r.Fingerprints)
	}
	_, result, err = AnswerPublisher(load(t, "offers/chromium156-audio-video.sdp"), testLocal(), DefaultPreferences())
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Remote.Candidates) != 2 || result.Remote.Candidates[0].Address != "127.0.0.1" {
		t.Errorf("candidates of the bundle's first section: %+v", result.Remote.Candidates)
	}
}

func TestAnswerPublisherErrors(t *testing.T) {
	chrome := func(edit func(s *sdp.Session)) *sdp.Session {
		s := load(t, "offers/chromium156-audio-video.sdp")
		edit(s)
		return s
	}
	badLocal := func(edit func(l *Local)) Local {
		l := testLocal()
		edit(&l)
		return l
	}
	tests := []struct {
		name  string
		offer *sdp.Session
		local Local
		prefs Preferences
		want  error
		text  string
	}{
		{"nil offer", nil, testLocal(), DefaultPreferences(), ErrBadArgument, "nil offer"},
		{"short ufrag", chrome(func(*sdp.Session) {}), badLocal(func(l *Local) { l.ICEUfrag = "abc" }),
			DefaultPreferences(), ErrBadArgument, "ice-ufrag"},
		{"short pwd", chrome(func(*sdp.Session) {}), badLocal(func(l *Local) { l.ICEPwd = "short" }),
			DefaultPreferences(), ErrBadArgument, "ice-pwd"},
		{"ufrag with a space", chrome(func(*sdp.Session) {}), badLocal(func(l *Local) { l.ICEUfrag = "ab cd" }),
			DefaultPreferences(), ErrBadArgument, "ice-ufrag"},
		{"no fingerprint", chrome(func(*sdp.Session) {}), badLocal(func(l *Local) { l.Fingerprints = nil }),
			DefaultPreferences(), ErrBadArgument, "fingerprint"},
		{"bad fingerprint", chrome(func(*sdp.Session) {}),
			badLocal(func(l *Local) { l.Fingerprints[0].Value = "zz" }), DefaultPreferences(), ErrBadArgument, ""},
		{"no address", chrome(func(*sdp.Session) {}), badLocal(func(l *Local) { l.Addrs = nil }),
			DefaultPreferences(), ErrBadArgument, "no host address"},
		{"port 0", chrome(func(*sdp.Session) {}), badLocal(func(l *Local) { l.Addrs[0] = netip.AddrPortFrom(l.Addrs[0].Addr(), 0) }),
			DefaultPreferences(), ErrBadArgument, "host address"},
		{"codec without clock rate", chrome(func(*sdp.Session) {}), testLocal(),
			withVideo(sdp.Codec{Name: "VP8"}), ErrBadArgument, "clock rate"},
		{"offer holds the connection", chrome(func(s *sdp.Session) {
			for _, m := range s.Media {
				m.Transport.Setup = sdp.SetupHoldConn
			}
		}), testLocal(), DefaultPreferences(), ErrTransport, `setup "holdconn"`},
		{"no ice-pwd", chrome(func(s *sdp.Session) {
			s.Media[0].Transport.ICEPwd = ""
		}), testLocal(), DefaultPreferences(), ErrTransport, "ice-pwd"},
		{"no fingerprint in the offer", chrome(func(s *sdp.Session) {
			s.Media[0].Transport.Fingerprints = nil
		}), testLocal(), DefaultPreferences(), ErrTransport, "fingerprint"},
		{"nothing acceptable", chrome(func(s *sdp.Session) {
			for _, m := range s.Media {
				m.RTCPMux = false
			}
		}), testLocal(), DefaultPreferences(), ErrNoMedia, "rtcp-mux is required"},
		{"no media", chrome(func(s *sdp.Session) { s.Media = nil }), testLocal(), DefaultPreferences(), ErrNoMedia,
			"no media section"},
		{"nil media section", chrome(func(s *sdp.Session) { s.Media[1] = nil }), testLocal(), DefaultPreferences(),
			ErrBadArgument, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := AnswerPublisher(tt.offer, tt.local, tt.prefs)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("got %v, want %v with %q", err, tt.want, tt.text)
			}
		})
	}
}

func TestAnswerPublisherRejections(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(s *sdp.Session)
		prefs  Preferences
		reason string
	}{
		{"not bundled", func(s *sdp.Session) { s.Groups = nil }, DefaultPreferences(), "not bundled with mid 0"},
		{"video without rtcp-mux", func(s *sdp.Session) { s.Media[1].RTCPMux = false }, DefaultPreferences(),
			"rtcp-mux is required"},
		{"video without mid", func(s *sdp.Session) { s.Media[1].MID = "" }, DefaultPreferences(), "mid is required"},
		{"video rejected by the offer", func(s *sdp.Session) { s.Media[1].Port = 0 }, DefaultPreferences(),
			"rejected in the offer"},
		{"plain RTP", func(s *sdp.Session) { s.Media[1].Protocol = "RTP/AVP" }, DefaultPreferences(),
			"transport RTP/AVP"},
		{"inactive", func(s *sdp.Session) { s.Media[1].Direction = sdp.DirectionInactive }, DefaultPreferences(),
			"does not send (inactive)"},
		{"audio-only server", func(*sdp.Session) {}, withVideo(), "the server takes no video"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer := load(t, "offers/chromium156-audio-video.sdp")
			tt.edit(offer)
			answer, result, err := AnswerPublisher(offer, testLocal(), tt.prefs)
			if err != nil {
				t.Fatal(err)
			}
			checkMedia(t, result.Media, []wantMedia{{mid: "0", codec: "opus", pt: 111},
				{mid: offer.Media[1].MID, rejected: tt.reason}})
			if (answer.Group("BUNDLE") == nil) != (offer.Group("BUNDLE") == nil) {
				t.Errorf("answer groups %+v for offer groups %+v", answer.Groups, offer.Groups)
			}
			if answer.Media[1].Port != 0 {
				t.Errorf("rejected section written with port %d", answer.Media[1].Port)
			}
		})
	}
}

func TestAnswerPublisherBundleOnlySection(t *testing.T) {
	// Firefox offers port 0 with a=bundle-only for the sections after the first of a max-bundle group: those are
	// bundled, not rejected.
	offer := load(t, "offers/firefox99-recvonly-mdns.sdp")
	for _, m := range offer.Media {
		m.Direction = sdp.DirectionSendOnly
	}
	_, result, err := AnswerPublisher(offer, testLocal(), DefaultPreferences())
	if err != nil {
		t.Fatal(err)
	}
	checkMedia(t, result.Media, []wantMedia{{mid: "0", codec: "VP8", pt: 120, rtx: 124}, {mid: "1", codec: "opus"}})
	c := result.Remote.Candidates
	if len(c) != 4 || !c[0].IsMDNS() || c[1].TCPType != "active" || !result.Remote.EndOfCandidates {
		t.Errorf("mDNS candidates: %+v", c)
	}
}

func TestAnswerPublisherBitrateCaps(t *testing.T) {
	prefs := DefaultPreferences()
	prefs.VideoMaxBitrate = 800_000
	answer, _, err := AnswerPublisher(load(t, "offers/chromium156-audio-video.sdp"), testLocal(), prefs)
	if err != nil {
		t.Fatal(err)
	}
	answer = reparse(t, answer)
	if len(answer.Media[0].Bandwidths) != 0 {
		t.Errorf("audio bandwidths %+v", answer.Media[0].Bandwidths)
	}
	want := []sdp.Bandwidth{{Type: "TIAS", Value: 800_000}, {Type: "AS", Value: 800}}
	if !reflect.DeepEqual(answer.Media[1].Bandwidths, want) {
		t.Errorf("video bandwidths %+v, want %+v", answer.Media[1].Bandwidths, want)
	}
}

// TestAnswerPublisherSetup: the server answers passive (it is the DTLS server) to the offers that let it, and
// active (the DTLS client) to an offer that wants to be the DTLS server; Remote.Setup is the offer's.
func TestAnswerPublisherSetup(t *testing.T) {
	tests := []struct {
		offered, answered sdp.Setup
	}{
		{sdp.SetupActPass, sdp.SetupPassive},
		{sdp.SetupActive, sdp.SetupPassive},
		{"", sdp.SetupPassive},
		{sdp.SetupPassive, sdp.SetupActive},
	}
	for _, tt := range tests {
		t.Run(string(tt.offered), func(t *testing.T) {
			offer := load(t, "offers/chromium156-audio-video.sdp")
			for _, m := range offer.Media {
				m.Transport.Setup = tt.offered
			}
			answer, result, err := AnswerPublisher(offer, testLocal(), DefaultPreferences())
			if err != nil {
				t.Fatal(err)
			}
			if result.Remote.Setup != tt.offered {
				t.Errorf("Remote.Setup %q, want the offer's %q", result.Remote.Setup, tt.offered)
			}
			text, err := answer.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			reread, err := sdp.Unmarshal(text)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range reread.Media {
				if m.Port != 0 && m.Transport.Setup != tt.answered {
					t.Errorf("section %q answers setup %q, want %q", m.MID, m.Transport.Setup, tt.answered)
				}
			}
		})
	}
}
