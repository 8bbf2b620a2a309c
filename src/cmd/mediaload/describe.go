package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// The synthetic clients describe themselves as a browser would: one BUNDLEd transport, rtcp-mux, DTLS setup
// actpass (publisher's offer) or active (listener's answer), a host candidate on their socket.

// Payload types of the publisher's offer.
const (
	opusPT   = 111
	vp8PT    = 96
	vp8RTXPT = 97
)

// remoteDescription is what a peer needs of the server's description (its answer to a publisher, its offer to a
// listener): where to send, the ICE credentials to check with, the certificate to expect.
type remoteDescription struct {
	ufrag, pwd   string
	fingerprints []dtls.Fingerprint
	addr         netip.AddrPort
	// tcpAddr is the first IPv4 passive ICE-TCP candidate; invalid when the server has ICE-TCP off.
	tcpAddr netip.AddrPort
	session *sdp.Session
}

// readRemote reads the server's description: the transport of its first section in use, its first IPv4 UDP
// candidate and its first IPv4 passive ICE-TCP one.
func readRemote(text string) (remoteDescription, error) {
	s, err := sdp.Unmarshal([]byte(text))
	if err != nil {
		return remoteDescription{}, err
	}
	r := remoteDescription{session: s}
	for _, m := range s.Media {
		if m.Rejected() {
			continue
		}
		t := m.Transport.Merge(s.Transport)
		if r.ufrag == "" && t.ICEUfrag != "" {
			r.ufrag, r.pwd = t.ICEUfrag, t.ICEPwd
			for _, f := range t.Fingerprints {
				if fp, err := dtls.ParseFingerprint(f.HashFunction + " " + f.Value); err == nil {
					r.fingerprints = append(r.fingerprints, fp)
				}
			}
		}
		for _, c := range m.Candidates {
			a, ok := c.Addr()
			switch {
			case !ok || !a.Is4():
			case strings.EqualFold(c.Transport, "udp") && !r.addr.IsValid():
				r.addr = netip.AddrPortFrom(a, c.Port)
			case strings.EqualFold(c.Transport, "tcp") && c.TCPType == "passive" && !r.tcpAddr.IsValid():
				r.tcpAddr = netip.AddrPortFrom(a, c.Port)
			}
		}
	}
	var problems []error
	if r.ufrag == "" || r.pwd == "" {
		problems = append(problems, errors.New("no ICE credentials"))
	}
	if len(r.fingerprints) == 0 || len(r.fingerprints) > dtls.MaxRemoteFingerprints {
		problems = append(problems, fmt.Errorf("%d usable fingerprints", len(r.fingerprints)))
	}
	if !r.addr.IsValid() {
		problems = append(problems, errors.New("no IPv4 UDP candidate"))
	}
	if err := errors.Join(problems...); err != nil {
		return remoteDescription{}, fmt.Errorf("server description: %w", err)
	}
	return r, nil
}

// payloadType returns the first payload type of the first section of kind in the description, leaving out RTX.
func (r remoteDescription) payloadType(kind string) (uint8, bool) {
	for _, m := range r.session.Media {
		if m.Kind != kind || m.Rejected() {
			continue
		}
		for _, c := range m.Codecs() {
			if !c.IsRTX() {
				return c.PayloadType, true
			}
		}
	}
	return 0, false
}

// publisherSSRCs are the SSRCs a publisher announces.
type publisherSSRCs struct {
	audio, video, rtx uint32
}

// publisherOffer is the offer of a publisher that sends Opus and VP8 (with RTX) from candidate.
func publisherOffer(local sdp.Transport, candidate sdp.Candidate, ssrcs publisherSSRCs, cname string) (string, error) {
	s, err := newDescription([]string{"0", "1"})
	if err != nil {
		return "", err
	}
	audio := newSection(sdp.KindAudio, "0", local, candidate, sdp.DirectionSendOnly)
	audio.AddCodec(sdp.Codec{PayloadType: opusPT, Name: "opus", ClockRate: 48000, Channels: 2,
		Fmtp: "minptime=10;useinbandfec=1"})
	audio.SSRCs = []sdp.SSRCAttribute{{SSRC: ssrcs.audio, Name: "cname", Value: cname}}
	video := newSection(sdp.KindVideo, "1", local, candidate, sdp.DirectionSendOnly)
	video.AddCodec(sdp.Codec{PayloadType: vp8PT, Name: "VP8", ClockRate: 90000,
		Feedback: []sdp.Feedback{sdp.FeedbackNACK, sdp.FeedbackPLI, sdp.FeedbackFIR, sdp.FeedbackREMB}})
	video.AddCodec(sdp.Codec{PayloadType: vp8RTXPT, Name: "rtx", ClockRate: 90000, Fmtp: fmt.Sprintf("apt=%d", vp8PT)})
	video.SSRCGroups = []sdp.SSRCGroup{{Semantics: "FID", SSRCs: []uint32{ssrcs.video, ssrcs.rtx}}}
	video.SSRCs = []sdp.SSRCAttribute{{SSRC: ssrcs.video, Name: "cname", Value: cname},
		{SSRC: ssrcs.rtx, Name: "cname", Value: cname}}
	s.Media = []*sdp.Media{audio, video}
	text, err := s.Marshal()
	return string(text), err
}

// listenerAnswer answers the server's offer: every section received, with every codec offered, or for video only
// videoCodec (and its RTX) when set; a video section without it is rejected. With transportCC the answer takes the
// transport-wide sequence number extension offered, which with the codecs' transport-cc feedback negotiates
// transport-wide congestion control.
func listenerAnswer(offer *sdp.Session, local sdp.Transport, candidate sdp.Candidate, videoCodec string,
	transportCC bool) (string, error) {
	var mids []string
	if g := offer.Group("BUNDLE"); g != nil {
		mids = g.MIDs
	}
	s, err := newDescription(mids)
	if err != nil {
		return "", err
	}
	for _, m := range offer.Media {
		a := newSection(m.Kind, m.MID, local, candidate, sdp.DirectionRecvOnly)
		codecs := m.Codecs()
		if m.Kind == sdp.KindVideo && videoCodec != "" {
			codecs = onlyCodec(codecs, videoCodec)
		}
		if m.Rejected() || len(codecs) == 0 {
			a.Port, a.Formats = 0, m.Formats
		} else {
			for _, c := range codecs {
				a.AddCodec(c)
			}
			if id, ok := sdp.ExtMapID(m.ExtMaps, negotiate.ExtTransportCC); ok && transportCC {
				a.ExtMaps = append(a.ExtMaps, sdp.ExtMap{ID: id, URI: negotiate.ExtTransportCC})
			}
		}
		s.Media = append(s.Media, a)
	}
	text, err := s.Marshal()
	return string(text), err
}

// answeredTransportCC is the id of the transport-wide sequence number extension in an answer of listenerAnswer;
// false when the answer took none.
func answeredTransportCC(answer string) (uint8, bool) {
	s, err := sdp.Unmarshal([]byte(answer))
	if err != nil {
		return 0, false
	}
	for _, m := range s.Media {
		if id, ok := sdp.ExtMapID(m.ExtMaps, negotiate.ExtTransportCC); ok && id > 0 && id < 15 {
			return uint8(id), true
		}
	}
	return 0, false
}

func newDescription(bundle []string) (*sdp.Session, error) {
	id, err := sdp.NewSessionID()
	if err != nil {
		return nil, err
	}
	s := &sdp.Session{
		Origin: sdp.Origin{Username: "-", SessionID: id, SessionVersion: 1, NetworkType: "IN", AddressType: "IP4",
			Address: "127.0.0.1"},
		Name:    "-",
		Timings: []sdp.Timing{{}},
	}
	if len(bundle) > 0 {
		s.Groups = []sdp.Group{{Semantics: "BUNDLE", MIDs: bundle}}
	}
	return s, nil
}

func newSection(kind, mid string, local sdp.Transport, candidate sdp.Candidate, dir sdp.Direction) *sdp.Media {
	return &sdp.Media{
		Kind: kind, Port: candidate.Port, Protocol: "UDP/TLS/RTP/SAVPF",
		Connection: &sdp.Connection{NetworkType: "IN", AddressType: "IP4", Address: candidate.Address},
		MID:        mid, Transport: local, Direction: dir, RTCPMux: true,
		Candidates: []sdp.Candidate{candidate},
	}
}

// onlyCodec keeps the codecs named name and their RTX.
func onlyCodec(codecs []sdp.Codec, name string) []sdp.Codec {
	var out []sdp.Codec
	kept := map[string]bool{}
	for _, c := range codecs {
		if strings.EqualFold(c.Name, name) {
			out = append(out, c)
			kept[strconv.Itoa(int(c.PayloadType))] = true
		}
	}
	for _, c := range codecs {
		if strings.EqualFold(c.Name, "rtx") && kept[strings.TrimPrefix(c.Fmtp, "apt=")] {
			out = append(out, c)
		}
	}
	return out
}
