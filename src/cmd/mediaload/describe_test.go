package main

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// serverLocal is a server's side of a session, as the media plane gives it to package negotiate.
func serverLocal(t *testing.T) negotiate.Local {
	t.Helper()
	hash, value, _ := cutFingerprint(newTestDTLSContext(t).Fingerprint().String())
	return negotiate.Local{ICEUfrag: "srvu", ICEPwd: "serverpassword0123456789",
		Fingerprints: []sdp.Fingerprint{{HashFunction: hash, Value: value}},
		Addrs:        []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:42042")}, SessionID: 7, SessionVersion: 1}
}

// TestPublisherOfferIsAnswered checks the publisher's offer against the server's own negotiation: Opus and VP8
// with RTX are accepted with the announced SSRCs, and the tool reads the answer back.
func TestPublisherOfferIsAnswered(t *testing.T) {
	p, err := newPeer(newTestDTLSContext(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	ssrcs := publisherSSRCs{audio: 11, video: 22, rtx: 33}
	offer, err := publisherOffer(p.transport(sdp.SetupActPass), p.candidate(), ssrcs, "cname")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := sdp.Unmarshal([]byte(offer))
	if err != nil {
		t.Fatalf("the offer does not parse: %v\n%s", err, offer)
	}
	answer, res, err := negotiate.AnswerPublisher(parsed, serverLocal(t), negotiate.DefaultPreferences())
	if err != nil {
		t.Fatalf("the server refuses the offer: %v\n%s", err, offer)
	}
	if res.Remote.ICEUfrag != p.ufrag || res.Remote.Setup != sdp.SetupActPass {
		t.Errorf("remote transport %+v", res.Remote)
	}
	want := map[string]struct {
		codec string
		ssrc  uint32
		rtx   uint32
	}{sdp.KindAudio: {"opus", 11, 0}, sdp.KindVideo: {"VP8", 22, 33}}
	for _, m := range res.Media {
		w := want[m.Kind]
		if m.Rejected || !strings.EqualFold(m.Codec.Name, w.codec) || len(m.Streams) != 1 ||
			m.Streams[0].SSRC != w.ssrc || m.Streams[0].RTXSSRC != w.rtx {
			t.Errorf("%s: rejected %v (%s), codec %s, streams %+v; want %s %d/%d", m.Kind, m.Rejected, m.Reason,
				m.Codec.Name, m.Streams, w.codec, w.ssrc, w.rtx)
		}
	}
	text, err := answer.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	remote, err := readRemote(string(text))
	if err != nil {
		t.Fatal(err)
	}
	audioPT, okA := remote.payloadType(sdp.KindAudio)
	videoPT, okV := remote.payloadType(sdp.KindVideo)
	if remote.ufrag != "srvu" || remote.addr != netip.MustParseAddrPort("127.0.0.1:42042") || !okA || !okV ||
		audioPT != opusPT || videoPT != vp8PT {
		t.Errorf("read back: ufrag %q, addr %s, payload types %d (%v) %d (%v)", remote.ufrag, remote.addr, audioPT,
			okA, videoPT, okV)
	}
}

// TestListenerAnswerIsRead checks the listener's answer against the server's own reading of answers, for the
// server's offer of a VP8 publisher.
func TestListenerAnswerIsRead(t *testing.T) {
	offerText, err := os.ReadFile("../../sdp/testdata/listener/vp8-offer.sdp")
	if err != nil {
		t.Fatal(err)
	}
	remote, err := readRemote(string(offerText))
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPeer(newTestDTLSContext(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	for _, tcc := range []bool{false, true} {
		answer, err := listenerAnswer(remote.session, p.transport(sdp.SetupActive), p.candidate(), "", tcc)
		if err != nil {
			t.Fatal(err)
		}
		res := checkListenerAnswer(t, remote, p, answer)
		if id, ok := answeredTransportCC(answer); ok != tcc || tcc && id == 0 {
			t.Errorf("transport-cc %v: the answer's transport-wide extension is %d, %v", tcc, id, ok)
		}
		for _, m := range res.Media {
			_, ext := m.ExtensionID(negotiate.ExtTransportCC)
			if got := ext && m.Codec.HasFeedback(sdp.FeedbackTransportCC); got != tcc {
				t.Errorf("transport-cc %v: the server reads %s with transport-cc %v", tcc, m.Kind, got)
			}
		}
	}
}

// checkListenerAnswer checks that the server reads answer, every section accepted.
func checkListenerAnswer(t *testing.T, remote remoteDescription, p *peer, answer string) *negotiate.Result {
	t.Helper()
	parsed, err := sdp.Unmarshal([]byte(answer))
	if err != nil {
		t.Fatalf("the answer does not parse: %v\n%s", err, answer)
	}
	res, err := negotiate.ReadListenerAnswer(remote.session, parsed)
	if err != nil {
		t.Fatalf("the server refuses the answer: %v\n%s", err, answer)
	}
	if res.Remote.ICEUfrag != p.ufrag || res.Remote.Setup != sdp.SetupActive || len(res.Media) != 2 {
		t.Errorf("remote %+v, %d sections", res.Remote, len(res.Media))
	}
	for _, m := range res.Media {
		if m.Rejected {
			t.Errorf("%s rejected: %s", m.Kind, m.Reason)
		}
	}
	return res
}

func TestReadRemoteRefuses(t *testing.T) {
	offer, err := os.ReadFile("../../sdp/testdata/listener/vp8-offer.sdp")
	if err != nil {
		t.Fatal(err)
	}
	without := func(prefix string) string {
		var keep []string
		for line := range strings.Lines(string(offer)) {
			if !strings.HasPrefix(line, prefix) {
				keep = append(keep, line)
			}
		}
		return strings.Join(keep, "")
	}
	for _, tc := range []struct {
		name, sdp, want string
	}{
		{"not SDP", "hello", ""},
		{"no candidate", without("a=candidate"), "no IPv4 UDP candidate"},
		{"no fingerprint", without("a=fingerprint"), "fingerprints"},
		{"no ICE password", without("a=ice-pwd"), "no ICE credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readRemote(tc.sdp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readRemote: %v; want an error about %q", err, tc.want)
			}
		})
	}
}

func FuzzReadRemote(f *testing.F) {
	for _, name := range []string{"vp8-offer.sdp", "h264-offer.sdp"} {
		b, err := os.ReadFile("../../sdp/testdata/listener/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := readRemote(text)
		if err != nil {
			return
		}
		if r.ufrag == "" || r.pwd == "" || len(r.fingerprints) == 0 || !r.addr.Addr().Is4() || r.session == nil {
			t.Errorf("readRemote accepted an unusable description: %+v", r)
		}
		r.payloadType(sdp.KindVideo)
	})
}
