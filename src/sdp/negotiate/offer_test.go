package negotiate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

// publisherTracks are what the MCU offers a listener for a Chromium publisher: its Opus and VP8 with RTX.
func publisherTracks() []Track {
	prefs := DefaultPreferences()
	return []Track{
		{Kind: sdp.KindAudio, Codecs: []Codec{{Codec: sdp.Codec{PayloadType: 111, Name: "opus", ClockRate: 48000,
			Channels: 2, Fmtp: "minptime=10;useinbandfec=1"}}},
			Feedback: []sdp.Feedback{sdp.FeedbackTransportCC}, Extensions: []string{ExtAbsSendTime, ExtSDESMID},
			SSRC: 1001, CNAME: "pub", StreamID: "pub", TrackID: "a0"},
		{Kind: sdp.KindVideo, Codecs: []Codec{{Codec: vp8, RTXPayloadType: 97}}, Feedback: prefs.Feedback,
			Extensions: []string{ExtSDESMID, ExtTransportCC, ExtVideoOrientation},
			SSRC:       2001, RTXSSRC: 2002, CNAME: "pub", StreamID: "pub", TrackID: "v0"},
	}
}

func TestOfferListener(t *testing.T) {
	offer, err := OfferListener(testLocal(), publisherTracks())
	if err != nil {
		t.Fatal(err)
	}
	s := reparse(t, offer)
	if !s.ICELite || s.Group("BUNDLE") == nil || !reflect.DeepEqual(s.Group("BUNDLE").MIDs, []string{"0", "1"}) {
		t.Fatalf("session: ice-lite %v, groups %+v", s.ICELite, s.Groups)
	}
	audio, video := s.Media[0], s.Media[1]
	for _, m := range s.Media {
		if m.Direction != sdp.DirectionSendOnly || m.Transport.Setup != sdp.SetupActPass || !m.RTCPMux ||
			!m.RTCPRsize || len(m.Candidates) != 2 || !m.EndOfCandidates || m.Port != 3478 {
			t.Errorf("section %q: %+v", m.MID, m)
		}
	}
	if got := audio.Codecs(); len(got) != 1 || got[0].PayloadType != 111 || got[0].Name != "opus" {
		t.Errorf("audio codecs %+v", got)
	}
	wantVideo := []sdp.Codec{
		{PayloadType: 96, Name: "VP8", ClockRate: 90000, Feedback: allFeedack},
		{PayloadType: 97, Name: "rtx", ClockRate: 90000, Fmtp: "apt=96"},
	}
	if got := video.Codecs(); !reflect.DeepEqual(got, wantVideo) {
		t.Errorf("video codecs %+v", got)
	}
	if !reflect.DeepEqual(video.SSRCGroups, []sdp.SSRCGroup{{Semantics: "FID", SSRCs: []uint32{2001, 2002}}}) {
		t.Errorf("FID group %+v", video.SSRCGroups)
	}
	for _, ssrc := range []uint32{2001, 2002} {
		if cname, _ := video.SSRCAttributeValue(ssrc, "cname"); cname != "pub" {
			t.Errorf("cname of %d: %q", ssrc, cname)
		}
	}
	if !reflect.DeepEqual(video.MSIDs, []sdp.MSID{{StreamID: "pub", TrackID: "v0"}}) {
		t.Errorf("msid %+v", video.MSIDs)
	}
	// One id per URI in the whole offer: sdes:mid is 2 in both sections.
	wantExt := map[string][]sdp.ExtMap{
		"0": {{ID: 1, URI: ExtAbsSendTime}, {ID: 2, URI: ExtSDESMID}},
		"1": {{ID: 2, URI: ExtSDESMID}, {ID: 3, URI: ExtTransportCC}, {ID: 4, URI: ExtVideoOrientation}},
	}
	for _, m := range s.Media {
		if !reflect.DeepEqual(m.ExtMaps, wantExt[m.MID]) {
			t.Errorf("section %q extmaps %+v", m.MID, m.ExtMaps)
		}
	}
}

func TestOfferListenerPayloadTypes(t *testing.T) {
	tests := []struct {
		name  string
		hints [][2]uint8 // per track: codec PT hint, RTX PT hint
		want  [][]string // formats per section
	}{
		{"hints kept", [][2]uint8{{111, 0}, {120, 124}}, [][]string{{"111"}, {"120", "124"}}},
		{"hint used twice is replaced by the first free", [][2]uint8{{96, 0}, {96, 97}}, [][]string{{"96"},
			{"97", "98"}}},
		{"static or zero hints are replaced", [][2]uint8{{0, 0}, {8, 0}}, [][]string{{"96"}, {"97", "98"}}},
		{"lower dynamic range kept", [][2]uint8{{63, 0}, {45, 46}}, [][]string{{"63"}, {"45", "46"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracks := publisherTracks()
			for i, h := range tt.hints {
				tracks[i].Codecs[0].PayloadType, tracks[i].Codecs[0].RTXPayloadType = h[0], h[1]
			}
			offer, err := OfferListener(testLocal(), tracks)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range offer.Media {
				if !reflect.DeepEqual(m.Formats, tt.want[i]) {
					t.Errorf("section %d formats %v, want %v", i, m.Formats, tt.want[i])
				}
			}
		})
	}
}

func TestOfferListenerErrors(t *testing.T) {
	edit := func(f func(ts []Track)) []Track {
		ts := publisherTracks()
		f(ts)
		return ts
	}
	many := make([]string, 15)
	for i := range many {
		many[i] = "urn:x:" + string(rune('a'+i))
	}
	tests := []struct {
		name   string
		tracks []Track
		text   string
	}{
		{"no track", nil, "no track"},
		{"data kind", edit(func(ts []Track) { ts[0].Kind = sdp.KindApplication }), "kind"},
		{"no codec", edit(func(ts []Track) { ts[1].Codecs = nil }), "no codec"},
		{"codec without clock rate", edit(func(ts []Track) { ts[1].Codecs[0].ClockRate = 0 }), "clock rate"},
		{"codec name with a space", edit(func(ts []Track) { ts[1].Codecs[0].Name = "V P8" }), "name"},
		{"SSRC 0", edit(func(ts []Track) { ts[0].SSRC = 0 }), "SSRC"},
		{"RTX SSRC equal to SSRC", edit(func(ts []Track) { ts[1].RTXSSRC = ts[1].SSRC }), "SSRC"},
		{"empty CNAME", edit(func(ts []Track) { ts[0].CNAME = "" }), "CNAME"},
		{"track id with a space", edit(func(ts []Track) { ts[0].TrackID = "a b" }), "TrackID"},
		{"15 header extensions", edit(func(ts []Track) { ts[0].Extensions = many }), "more than 14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OfferListener(testLocal(), tt.tracks)
			if !errors.Is(err, ErrBadArgument) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("got %v, want ErrBadArgument with %q", err, tt.text)
			}
		})
	}
	if _, err := OfferListener(Local{}, publisherTracks()); !errors.Is(err, ErrBadArgument) {
		t.Errorf("empty Local: %v", err)
	}
}

// TestReadListenerAnswerChromium reads Chromium 156's real answers to the offers of testdata/listener.
func TestReadListenerAnswerChromium(t *testing.T) {
	tests := []struct {
		name     string
		codec    string
		pt, rtx  uint8
		feedback []sdp.Feedback
	}{
		{"vp8", "VP8", 96, 97, []sdp.Feedback{sdp.FeedbackREMB, sdp.FeedbackTransportCC, sdp.FeedbackFIR,
			sdp.FeedbackNACK, sdp.FeedbackPLI}},
		{"h264", "H264", 108, 109, []sdp.Feedback{sdp.FeedbackREMB, sdp.FeedbackTransportCC, sdp.FeedbackFIR,
			sdp.FeedbackNACK, sdp.FeedbackPLI}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer := load(t, "listener/"+tt.name+"-offer.sdp")
			answer := load(t, "listener/"+tt.name+"-chromium156-answer.sdp")
			result, err := ReadListenerAnswer(offer, answer)
			if err != nil {
				t.Fatal(err)
			}
			audio, video := result.Media[0], result.Media[1]
			if audio.Codec.Name != "opus" || audio.Codec.PayloadType != 111 || audio.Direction != sdp.DirectionSendOnly {
				t.Errorf("audio %+v", audio)
			}
			if video.Codec.Name != tt.codec || video.Codec.PayloadType != tt.pt || video.Codec.RTXPayloadType != tt.rtx ||
				!reflect.DeepEqual(video.Codec.Feedback, tt.feedback) || !video.RTCPReducedSize {
				t.Errorf("video %+v", video)
			}
			if id, ok := video.ExtensionID(ExtTransportCC); !ok || id != 2 {
				t.Errorf("transport-cc id %d %v", id, ok)
			}
			r := result.Remote
			if r.Setup != sdp.SetupActive || r.ICEUfrag == "" || r.ICEPwd == "" || len(r.Fingerprints) != 1 ||
				len(r.Candidates) == 0 {
				t.Errorf("remote transport %+v", r)
			}
		})
	}
}

func TestReadListenerAnswerErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(a *sdp.Session)
		want error
		text string
	}{
		{"a section missing", func(a *sdp.Session) { a.Media = a.Media[:1] }, ErrAnswerMismatch, "1 sections"},
		{"other mid", func(a *sdp.Session) { a.Media[1].MID = "x" }, ErrAnswerMismatch, `"x"`},
		{"sendrecv answer", func(a *sdp.Session) { a.Media[1].Direction = sdp.DirectionSendRecv }, ErrAnswerMismatch,
			"sendrecv"},
		{"payload type not offered", func(a *sdp.Session) {
			a.Media[1].Formats[0] = "100"
			a.Media[1].RTPMaps[0].PayloadType = 100
		}, ErrAnswerMismatch, "payload type 100"},
		{"codec changed under an offered payload type", func(a *sdp.Session) { a.Media[1].RTPMaps[0].Name = "VP9" },
			ErrAnswerMismatch, "payload type 96 (VP9)"},
		{"no codec", func(a *sdp.Session) {
			a.Media[1].Formats = []string{"97"}
		}, ErrAnswerMismatch, "without any codec"},
		{"answer leaves the choice open", func(a *sdp.Session) {
			for _, m := range a.Media {
				m.Transport.Setup = sdp.SetupActPass
			}
		}, ErrTransport, `setup "actpass"`},
		{"answer holds the connection", func(a *sdp.Session) {
			for _, m := range a.Media {
				m.Transport.Setup = sdp.SetupHoldConn
			}
		}, ErrTransport, `setup "holdconn"`},
		{"no ufrag", func(a *sdp.Session) { a.Media[0].Transport.ICEUfrag = "" }, ErrTransport, "ice-ufrag"},
		{"all rejected", func(a *sdp.Session) {
			for _, m := range a.Media {
				m.Port = 0
			}
		}, ErrNoMedia, "rejects every section"},
		{"nil section", func(a *sdp.Session) { a.Media[0] = nil }, ErrBadArgument, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := load(t, "listener/vp8-chromium156-answer.sdp")
			tt.edit(answer)
			_, err := ReadListenerAnswer(load(t, "listener/vp8-offer.sdp"), answer)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("got %v, want %v with %q", err, tt.want, tt.text)
			}
		})
	}
	if _, err := ReadListenerAnswer(nil, nil); !errors.Is(err, ErrBadArgument) {
		t.Errorf("nil: %v", err)
	}
}

func TestReadListenerAnswerRejectedAndInactive(t *testing.T) {
	answer := load(t, "listener/vp8-chromium156-answer.sdp")
	answer.Media[0].Port = 0
	answer.Media[1].Direction = sdp.DirectionInactive
	result, err := ReadListenerAnswer(load(t, "listener/vp8-offer.sdp"), answer)
	if err != nil {
		t.Fatal(err)
	}
	if !result.Media[0].Rejected || result.Media[1].Direction != sdp.DirectionInactive {
		t.Errorf("got %+v", result.Media)
	}
}

func TestParseH264ProfileLevelID(t *testing.T) {
	tests := []struct {
		in      string
		profile H264Profile
		level   uint8
		err     bool
	}{
		{"42e01f", H264ConstrainedBaseline, 0x1f, false},
		{"42C02A", H264ConstrainedBaseline, 0x2a, false},
		{"4d801f", H264ConstrainedBaseline, 0x1f, false}, // constraint_set0: decodable with baseline tools
		{"58c01f", H264ConstrainedBaseline, 0x1f, false},
		{"42001f", H264Baseline, 0x1f, false},
		{"588015", H264Baseline, 0x15, false},
		{"4d001f", H264Main, 0x1f, false},
		{"640c1f", H264ConstrainedHigh, 0x1f, false},
		{"64001f", H264High, 0x1f, false},
		{"f4001f", H264PredictiveHigh444, 0x1f, false},
		{"420010", H264Baseline, 0x10, false},
		{"6e001f", "", 0, true}, // High 10 is not a WebRTC profile
		{"42e01", "", 0, true},
		{"42e01g", "", 0, true},
		{"", "", 0, true},
	}
	for _, tt := range tests {
		profile, level, err := ParseH264ProfileLevelID(tt.in)
		if profile != tt.profile || level != tt.level || (err != nil) != tt.err {
			t.Errorf("%q: %q %#x %v", tt.in, profile, level, err)
		}
	}
}

func TestCodecMatches(t *testing.T) {
	tests := []struct {
		name          string
		want, offered sdp.Codec
		matches       bool
	}{
		{"same name other case", vp8, sdp.Codec{Name: "vp8", ClockRate: 90000}, true},
		{"other clock rate", vp8, sdp.Codec{Name: "VP8", ClockRate: 8000}, false},
		{"opus channels", sdp.Codec{Name: "opus", ClockRate: 48000, Channels: 2},
			sdp.Codec{Name: "opus", ClockRate: 48000, Channels: 2}, true},
		{"mono against stereo", sdp.Codec{Name: "opus", ClockRate: 48000, Channels: 2},
			sdp.Codec{Name: "opus", ClockRate: 48000}, false},
		{"H264 level ignored", h264CB, sdp.Codec{Name: "H264", ClockRate: 90000,
			Fmtp: "profile-level-id=42e034;packetization-mode=1"}, true},
		{"H264 mode 0 by default", h264CB, sdp.Codec{Name: "H264", ClockRate: 90000, Fmtp: "profile-level-id=42e01f"},
			false},
		{"H264 baseline by default", sdp.Codec{Name: "H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42001f"},
			sdp.Codec{Name: "H264", ClockRate: 90000, Fmtp: "packetization-mode=1"}, true},
		{"H264 garbage profile", h264CB, sdp.Codec{Name: "H264", ClockRate: 90000,
			Fmtp: "packetization-mode=1;profile-level-id=zz"}, false},
		{"VP9 profile 0 by default", vp9, sdp.Codec{Name: "VP9", ClockRate: 90000, Fmtp: "profile-id=0"}, true},
		{"VP9 profile 2", vp9, sdp.Codec{Name: "VP9", ClockRate: 90000, Fmtp: "profile-id=2"}, false},
		{"AV1 profile 1", av1, sdp.Codec{Name: "AV1", ClockRate: 90000, Fmtp: "profile=1"}, false},
	}
	for _, tt := range tests {
		if got := codecMatches(tt.want, tt.offered); got != tt.matches {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

// TestReadListenerAnswerSetup: the browser chooses its DTLS role for the offer's actpass, and Remote.Setup says
// which: active (or nothing, which means active) keeps the server the DTLS server, passive makes it the client.
func TestReadListenerAnswerSetup(t *testing.T) {
	for _, setup := range []sdp.Setup{sdp.SetupActive, sdp.SetupPassive, ""} {
		t.Run(string(setup), func(t *testing.T) {
			answer := load(t, "listener/vp8-chromium156-answer.sdp")
			for _, m := range answer.Media {
				m.Transport.Setup = setup
			}
			result, err := ReadListenerAnswer(load(t, "listener/vp8-offer.sdp"), answer)
			if err != nil {
				t.Fatal(err)
			}
			if result.Remote.Setup != setup {
				t.Errorf("Remote.Setup %q, want %q", result.Remote.Setup, setup)
			}
		})
	}
}
