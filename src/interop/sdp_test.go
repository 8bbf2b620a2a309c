package interop

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pionsdp "github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// These tests cross-check src/sdp against pion/sdp v3 (both parsers read the same fixtures and each other's output
// alike) and src/sdp/negotiate against pion/webrtc v4 (a pion publisher accepts the MCU's answer; the MCU reads a
// pion listener's answer). Every address is loopback.

func sdpFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "sdp", "testdata", "*", "*.sdp"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

// sameAsPion compares what both parsers saw: per media section the kind, port, formats, mid, and the number of
// rtpmap, fmtp, rtcp-fb, extmap, ssrc, ssrc-group and candidate lines.
func sameAsPion(t *testing.T, ours *sdp.Session, theirs *pionsdp.SessionDescription) {
	t.Helper()
	if len(ours.Media) != len(theirs.MediaDescriptions) {
		t.Fatalf("%d media sections, pion %d", len(ours.Media), len(theirs.MediaDescriptions))
	}
	if ours.Origin.SessionID != theirs.Origin.SessionID {
		t.Errorf("session id %d, pion %d", ours.Origin.SessionID, theirs.Origin.SessionID)
	}
	for i, m := range ours.Media {
		p := theirs.MediaDescriptions[i]
		mid, _ := p.Attribute("mid")
		if m.Kind != p.MediaName.Media || int(m.Port) != p.MediaName.Port.Value ||
			!slices.Equal(m.Formats, p.MediaName.Formats) || m.MID != mid {
			t.Errorf("section %d: %s %d %v %q, pion %s %d %v %q", i, m.Kind, m.Port, m.Formats, m.MID,
				p.MediaName.Media, p.MediaName.Port.Value, p.MediaName.Formats, mid)
		}
		count := func(key string) int {
			n := 0
			for _, a := range p.Attributes {
				if a.Key == key {
					n++
				}
			}
			return n
		}
		got := []int{len(m.RTPMaps), len(m.Fmtps), len(m.RTCPFeedback), len(m.ExtMaps), len(m.SSRCs),
			len(m.SSRCGroups), len(m.Candidates)}
		want := []int{count("rtpmap"), count("fmtp"), count("rtcp-fb"), count("extmap"), count("ssrc"),
			count("ssrc-group"), count("candidate")}
		if !m.IsRTP() {
			got = got[len(got)-1:]
			want = want[len(want)-1:]
		}
		if !slices.Equal(got, want) {
			t.Errorf("section %d: rtpmap/fmtp/rtcp-fb/extmap/ssrc/ssrc-group/candidate %v, pion %v", i, got, want)
		}
	}
}

func TestSDPParsersAgreeWithPion(t *testing.T) {
	for name, data := range sdpFixtures(t) {
		t.Run(name, func(t *testing.T) {
			ours, err := sdp.Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			var theirs pionsdp.SessionDescription
			if err := theirs.UnmarshalString(string(data)); err != nil {
				t.Fatalf("pion: %v", err)
			}
			sameAsPion(t, ours, &theirs)

			written, err := ours.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var again pionsdp.SessionDescription
			if err := again.Unmarshal(written); err != nil {
				t.Fatalf("pion does not read what we write: %v\n%s", err, written)
			}
			sameAsPion(t, ours, &again)
		})
	}
}

// mcuLocal is a server on a loopback port nobody listens on: pion's connectivity checks stay on loopback.
func mcuLocal() negotiate.Local {
	return negotiate.Local{
		ICEUfrag: "mcuU", ICEPwd: "mcupasswordmcupassword",
		Fingerprints: []sdp.Fingerprint{{HashFunction: "sha-256", Value: strings.Repeat("5A:", 31) + "5A"}},
		Addrs:        []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")},
		SessionID:    7, SessionVersion: 1,
	}
}

func newPionPeer(t *testing.T, settings webrtc.SettingEngine) *webrtc.PeerConnection {
	t.Helper()
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(settings)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pc.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return pc
}

func TestPionPublisherAcceptsAnswerPublisher(t *testing.T) {
	pc := newPionPeer(t, webrtc.SettingEngine{})
	for _, c := range []struct{ mime, id string }{{webrtc.MimeTypeOpus, "audio"}, {webrtc.MimeTypeVP8, "video"}} {
		track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: c.mime}, c.id, "pion")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTrack(track); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	parsed, err := sdp.Unmarshal([]byte(offer.SDP))
	if err != nil {
		t.Fatalf("pion's offer: %v", err)
	}
	answer, result, err := negotiate.AnswerPublisher(parsed, mcuLocal(), negotiate.DefaultPreferences())
	if err != nil {
		t.Fatal(err)
	}
	text, err := answer.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(text)}); err != nil {
		t.Fatalf("pion refuses the answer: %v\n%s", err, text)
	}
	for i, tr := range pc.GetTransceivers() {
		codecs := tr.Sender().GetParameters().Codecs
		if len(codecs) == 0 || !strings.EqualFold(codecs[0].MimeType, result.Media[i].Kind+"/"+result.Media[i].Codec.Name) {
			t.Errorf("transceiver %d sends %+v, the MCU chose %s", i, codecs, result.Media[i].Codec.Name)
		}
	}
}

// pionListenerAnswer answers the MCU's listener offer with a pion peer.
func pionListenerAnswer(t *testing.T, settings webrtc.SettingEngine, offer *sdp.Session) *sdp.Session {
	t.Helper()
	text, err := offer.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pc := newPionPeer(t, settings)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(text)}); err != nil {
		t.Fatalf("pion refuses the listener offer: %v\n%s", err, text)
	}
	pionAnswer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(pionAnswer); err != nil {
		t.Fatal(err)
	}
	answer, err := sdp.Unmarshal([]byte(pionAnswer.SDP))
	if err != nil {
		t.Fatalf("pion's answer: %v", err)
	}
	return answer
}

func TestReadListenerAnswerFromPion(t *testing.T) {
	prefs := negotiate.DefaultPreferences()
	offer, err := negotiate.OfferListener(mcuLocal(), []negotiate.Track{
		{Kind: sdp.KindAudio, Codecs: []negotiate.Codec{{Codec: sdp.Codec{PayloadType: 111, Name: "opus",
			ClockRate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1"}}},
			Feedback: []sdp.Feedback{sdp.FeedbackTransportCC}, Extensions: prefs.Extensions,
			SSRC: 11, CNAME: "pub", StreamID: "pub", TrackID: "a"},
		{Kind: sdp.KindVideo, Codecs: []negotiate.Codec{{Codec: sdp.Codec{PayloadType: 96, Name: "VP8",
			ClockRate: 90000}, RTXPayloadType: 97}},
			Feedback: prefs.Feedback, Extensions: prefs.Extensions,
			SSRC: 21, RTXSSRC: 22, CNAME: "pub", StreamID: "pub", TrackID: "v"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// pion answers an ICE-lite offerer setup:passive by default (the MCU is then the DTLS client), and active when
	// told to be the client, as browsers answer: both are accepted, and the session gets the setup as answered.
	active := webrtc.SettingEngine{}
	if err := active.SetAnsweringDTLSRole(webrtc.DTLSRoleClient); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		settings webrtc.SettingEngine
		setup    sdp.Setup
	}{
		{"default", webrtc.SettingEngine{}, sdp.SetupPassive},
		{"DTLS client", active, sdp.SetupActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPionListenerAnswer(t, offer, pionListenerAnswer(t, tc.settings, offer), tc.setup)
		})
	}
}

// checkPionListenerAnswer reads pion's answer to offer and checks the codecs and the transport it gives.
func checkPionListenerAnswer(t *testing.T, offer, answer *sdp.Session, setup sdp.Setup) {
	t.Helper()
	result, err := negotiate.ReadListenerAnswer(offer, answer)
	if err != nil {
		t.Fatal(err)
	}
	audio, video := result.Media[0], result.Media[1]
	if audio.Codec.Name != "opus" || audio.Codec.PayloadType != 111 || video.Codec.Name != "VP8" ||
		video.Codec.PayloadType != 96 || video.Codec.RTXPayloadType != 97 {
		t.Errorf("negotiated %+v / %+v", audio.Codec, video.Codec)
	}
	if result.Remote.Setup != setup || len(result.Remote.Fingerprints) == 0 {
		t.Errorf("pion's transport %+v, want setup %s", result.Remote, setup)
	}
}
