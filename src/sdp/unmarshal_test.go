package sdp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// doc builds a CRLF description from lines.
func doc(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

// head is the smallest valid session part.
var head = []string{"v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"}

func withHead(lines ...string) []byte { return doc(append(append([]string{}, head...), lines...)...) }

func TestUnmarshalChromiumOffer(t *testing.T) {
	s, err := Unmarshal(fixtures(t)["chromium156-audio-video.sdp"])
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Group("BUNDLE"); got == nil || !reflect.DeepEqual(got.MIDs, []string{"0", "1"}) {
		t.Errorf("BUNDLE group = %+v", got)
	}
	if !s.ExtMapMixed {
		t.Error("extmap-allow-mixed not seen")
	}
	audio, video := s.Media[0], s.Media[1]
	if audio.Kind != KindAudio || audio.MID != "0" || !audio.RTCPMux || !audio.RTCPRsize {
		t.Errorf("audio section = %+v", audio)
	}
	if audio.Transport.Setup != SetupActPass || audio.Transport.ICEUfrag == "" || len(audio.Transport.Fingerprints) != 1 {
		t.Errorf("audio transport = %+v", audio.Transport)
	}
	opus, ok := audio.Codec(111)
	want := Codec{PayloadType: 111, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1",
		Feedback: []Feedback{FeedbackTransportCC}}
	if !ok || !reflect.DeepEqual(opus, want) {
		t.Errorf("opus = %+v, want %+v", opus, want)
	}
	if pcmu, ok := audio.Codec(0); !ok || pcmu.Name != "PCMU" {
		t.Errorf("PCMU = %+v", pcmu)
	}
	codecs := video.Codecs()
	if len(codecs) != len(video.Formats) || codecs[0].Name != "VP8" || codecs[1].Name != "rtx" {
		t.Errorf("video codecs in m= order: got %d codecs, first %+v", len(codecs), codecs[:2])
	}
	if id, ok := ExtMapID(video.ExtMaps, "urn:3gpp:video-orientation"); !ok || id != 13 {
		t.Errorf("video-orientation id = %d, %v", id, ok)
	}
	if len(video.SSRCGroups) != 1 || video.SSRCGroups[0].Semantics != "FID" || len(video.SSRCGroups[0].SSRCs) != 2 {
		t.Fatalf("ssrc-groups = %+v", video.SSRCGroups)
	}
	primary, _ := video.SSRCAttributeValue(video.SSRCGroups[0].SSRCs[0], "cname")
	rtx, _ := video.SSRCAttributeValue(video.SSRCGroups[0].SSRCs[1], "cname")
	if primary == "" || rtx != primary {
		t.Errorf("cnames of the FID pair: %q and %q", primary, rtx)
	}
	if len(video.Candidates) != 2 || video.Candidates[1].TCPType != "active" {
		t.Errorf("candidates = %+v", video.Candidates)
	}
	if len(audio.Attributes) != 2 || audio.Attributes[0].Key != "rtcp" {
		t.Errorf("unknown attributes kept = %+v", audio.Attributes)
	}
}

func TestUnmarshalAttributes(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		check func(t *testing.T, m *Media)
	}{
		{
			name:  "several ssrc-groups are all kept",
			lines: []string{"a=ssrc-group:FID 1 2", "a=ssrc-group:FEC-FR 1 3", "a=ssrc-group:SIM 1 4 5"},
			check: func(t *testing.T, m *Media) {
				want := []SSRCGroup{{"FID", []uint32{1, 2}}, {"FEC-FR", []uint32{1, 3}}, {"SIM", []uint32{1, 4, 5}}}
				if !reflect.DeepEqual(m.SSRCGroups, want) {
					t.Errorf("got %+v", m.SSRCGroups)
				}
			},
		},
		{
			name:  "fmtp with unknown characters is kept as written",
			lines: []string{"a=rtpmap:96 H264/90000", "a=fmtp:96 sprop-parameter-sets=Z0IAH+KQCgC3YC3AQEBpB4kRUA==,aM48gA==; x-Ünïcode=~!@#$%^&*()"},
			check: func(t *testing.T, m *Media) {
				c, _ := m.Codec(96)
				if v, ok := c.Param("SPROP-parameter-sets"); !ok || v != "Z0IAH+KQCgC3YC3AQEBpB4kRUA==,aM48gA==" {
					t.Errorf("sprop-parameter-sets = %q, %v", v, ok)
				}
				if v, _ := c.Param("x-Ünïcode"); v != "~!@#$%^&*()" {
					t.Errorf("x-Ünïcode = %q", v)
				}
			},
		},
		{
			name:  "rtcp-fb for one payload type and for all",
			lines: []string{"a=rtpmap:96 VP8/90000", "a=rtcp-fb:* nack", "a=rtcp-fb:96 ccm fir", "a=rtcp-fb:96 trr-int  100"},
			check: func(t *testing.T, m *Media) {
				c, _ := m.Codec(96)
				if !reflect.DeepEqual(c.Feedback, []Feedback{FeedbackNACK, FeedbackFIR, "trr-int 100"}) {
					t.Errorf("feedback = %q", c.Feedback)
				}
			},
		},
		{
			name:  "extmap with direction and attributes",
			lines: []string{"a=extmap:4/sendonly urn:x:y some attrs", "a=extmap:200 urn:two-byte"},
			check: func(t *testing.T, m *Media) {
				want := []ExtMap{{ID: 4, Direction: DirectionSendOnly, URI: "urn:x:y", Attributes: "some attrs"},
					{ID: 200, URI: "urn:two-byte"}}
				if !reflect.DeepEqual(m.ExtMaps, want) {
					t.Errorf("got %+v", m.ExtMaps)
				}
			},
		},
		{
			name: "candidates: IPv4, IPv6, mDNS, tcp, srflx with raddr, extensions",
			lines: []string{
				"a=candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0 network-id 1",
				"a=candidate:2 1 UDP 2122262783 2001:db8::1 50001 typ host",
				"a=candidate:3 1 udp 2122131711 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 50002 typ host",
				"a=candidate:4 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0",
				"a=candidate:5 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 192.0.2.1 rport 50000 ufrag abcd",
				"a=end-of-candidates",
			},
			check: func(t *testing.T, m *Media) {
				c := m.Candidates
				if len(c) != 5 || !m.EndOfCandidates {
					t.Fatalf("got %d candidates, end %v", len(c), m.EndOfCandidates)
				}
				if a, ok := c[1].Addr(); !ok || !a.Is6() || c[1].Transport != "udp" {
					t.Errorf("IPv6 candidate = %+v", c[1])
				}
				if !c[2].IsMDNS() || c[2].Port != 50002 {
					t.Errorf("mDNS candidate = %+v", c[2])
				}
				if c[3].Transport != "tcp" || c[3].TCPType != "active" || c[3].Extensions[0] != (Param{"generation", "0"}) {
					t.Errorf("tcp candidate = %+v", c[3])
				}
				if c[4].RelatedAddress != "192.0.2.1" || !c[4].HasRelatedPort || c[4].RelatedPort != 50000 {
					t.Errorf("srflx candidate = %+v", c[4])
				}
			},
		},
		{
			name:  "simulcast and rid",
			lines: []string{"a=rid:h send pt=96,98;max-width=1280", "a=rid:l send", "a=simulcast:send h;~l,m recv r"},
			check: func(t *testing.T, m *Media) {
				wantRID := RID{ID: "h", Direction: "send", PayloadTypes: []uint8{96, 98},
					Restrictions: []Param{{"max-width", "1280"}}}
				if !reflect.DeepEqual(m.RIDs[0], wantRID) {
					t.Errorf("rid = %+v", m.RIDs[0])
				}
				want := &Simulcast{Send: [][]SimulcastRID{{{ID: "h"}}, {{ID: "l", Paused: true}, {ID: "m"}}},
					Recv: [][]SimulcastRID{{{ID: "r"}}}}
				if !reflect.DeepEqual(m.Simulcast, want) {
					t.Errorf("simulcast = %+v", m.Simulcast)
				}
			},
		},
		{
			name:  "several fingerprints and msids",
			lines: []string{"a=fingerprint:sha-256 AB:CD", "a=fingerprint:sha-1 01:23", "a=msid:s t", "a=msid:- u"},
			check: func(t *testing.T, m *Media) {
				if len(m.Transport.Fingerprints) != 2 || m.Transport.Fingerprints[1].HashFunction != "sha-1" {
					t.Errorf("fingerprints = %+v", m.Transport.Fingerprints)
				}
				if !reflect.DeepEqual(m.MSIDs, []MSID{{"s", "t"}, {"-", "u"}}) {
					t.Errorf("msids = %+v", m.MSIDs)
				}
			},
		},
		{
			name:  "LF endings, blank lines and trailing spaces are accepted",
			lines: []string{"a=rtcp-fb:96 goog-remb \t", "", "a=mid:v  "},
			check: func(t *testing.T, m *Media) {
				if m.MID != "v" || m.RTCPFeedback[0].Feedback != FeedbackREMB {
					t.Errorf("mid %q, feedback %+v", m.MID, m.RTCPFeedback)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := append(append([]string{}, head...), "m=video 9 UDP/TLS/RTP/SAVPF 96 98")
			text := []byte(strings.Join(append(lines, tt.lines...), "\n"))
			s, err := Unmarshal(text)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s.Media[0])
			roundTrip(t, s)
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		text []byte
		line int
		want string
	}{
		{"empty", nil, 0, "no v= line"},
		{"not v first", doc("o=- 1 2 IN IP4 0.0.0.0", "v=0"), 1, "must start with v=0"},
		{"version 1", doc("v=1"), 1, "only 0 exists"},
		{"no equals", withHead("m=audio 9 RTP/AVP 0", "a mid"), 6, "not a <type>=<value> line"},
		{"missing o", doc("v=0", "s=-", "t=0 0"), 0, "no o= line"},
		{"missing t", doc("v=0", "o=- 1 2 IN IP4 0.0.0.0", "s=-"), 0, "no t= line"},
		{"two o lines", doc("v=0", "o=- 1 2 IN IP4 0.0.0.0", "o=- 1 2 IN IP4 0.0.0.0"), 3, "given twice"},
		{"origin id not a number", doc("v=0", "o=- abc 2 IN IP4 0.0.0.0"), 2, "session id"},
		{"unknown line type", withHead("x=1"), 5, "unknown line type"},
		{"session line in media", withHead("m=audio 9 RTP/AVP 0", "s=x"), 6, "not allowed in a media section"},
		{"control character", withHead("a=tool:a\x00b"), 5, "control character"},
		{"lone CR inside a line", withHead("a=tool:a\rb"), 5, "control character"},
		{"payload type above 127", withHead("m=video 9 UDP/TLS/RTP/SAVPF 128"), 5, "0 to 127"},
		{"duplicate payload type in m=", withHead("m=video 9 UDP/TLS/RTP/SAVPF 96 96"), 5, "listed twice"},
		{"port out of range", withHead("m=video 70000 UDP/TLS/RTP/SAVPF 96"), 5, "port"},
		{"m= without formats", withHead("m=video 9 UDP/TLS/RTP/SAVPF"), 5, "without any format"},
		{"duplicate mid", withHead("m=audio 9 RTP/AVP 0", "a=mid:a", "m=video 9 RTP/AVP 96", "a=mid:a"), 8,
			"used by two media sections"},
		{"two mids in a section", withHead("m=audio 9 RTP/AVP 0", "a=mid:a", "a=mid:b"), 7, "given twice"},
		{"two directions", withHead("m=audio 9 RTP/AVP 0", "a=sendrecv", "a=recvonly"), 7, "given twice"},
		{"direction with a value", withHead("a=sendonly:x"), 5, "takes no value"},
		{"duplicate rtpmap", withHead("m=audio 9 RTP/AVP 96", "a=rtpmap:96 opus/48000/2", "a=rtpmap:96 PCMU/8000"),
			7, "rtpmap for payload type 96 given twice"},
		{"rtpmap without clock rate", withHead("m=audio 9 RTP/AVP 96", "a=rtpmap:96 opus"), 6, "clock rate"},
		{"rtpmap zero clock rate", withHead("m=audio 9 RTP/AVP 96", "a=rtpmap:96 opus/0"), 6, "clock rate"},
		{"duplicate fmtp", withHead("m=audio 9 RTP/AVP 96", "a=fmtp:96 a=1", "a=fmtp:96 a=2"), 7, "given twice"},
		{"fmtp bad payload type", withHead("m=audio 9 RTP/AVP 96", "a=fmtp:x a=1"), 6, "payload type"},
		{"rtcp-fb without type", withHead("m=audio 9 RTP/AVP 96", "a=rtcp-fb:96"), 6, "rtcp-fb needs"},
		{"extmap id 0", withHead("m=audio 9 RTP/AVP 96", "a=extmap:0 urn:x"), 6, "1 to 255"},
		{"extmap id 256", withHead("m=audio 9 RTP/AVP 96", "a=extmap:256 urn:x"), 6, "1 to 255"},
		{"duplicate extmap id", withHead("m=audio 9 RTP/AVP 96", "a=extmap:1 urn:x", "a=extmap:1 urn:y"), 7,
			"extmap id 1 given twice"},
		{"extmap bad direction", withHead("m=audio 9 RTP/AVP 96", "a=extmap:1/both urn:x"), 6, "direction"},
		{"ssrc not a number", withHead("m=audio 9 RTP/AVP 96", "a=ssrc:-1 cname:x"), 6, "32-bit"},
		{"ssrc without attribute", withHead("m=audio 9 RTP/AVP 96", "a=ssrc:1"), 6, "ssrc needs"},
		{"ssrc-group without ssrc", withHead("m=audio 9 RTP/AVP 96", "a=ssrc-group:FID"), 6, "ssrc-group needs"},
		{"bad setup", withHead("a=setup:server"), 5, "setup"},
		{"two setups", withHead("a=setup:active", "a=setup:passive"), 6, "given twice"},
		{"fingerprint not hex", withHead("a=fingerprint:sha-256 AD:...:A1"), 5, "hex"},
		{"candidate without typ", withHead("m=audio 9 RTP/AVP 96", "a=candidate:1 1 udp 1 192.0.2.1 9 host"), 6,
			"candidate needs"},
		{"candidate bad address", withHead("m=audio 9 RTP/AVP 96", "a=candidate:1 1 udp 1 a..b 9 typ host"), 6,
			"neither an IP address nor a host name"},
		{"candidate component 0", withHead("m=audio 9 RTP/AVP 96", "a=candidate:1 0 udp 1 192.0.2.1 9 typ host"),
			6, "component"},
		{"candidate dangling extension", withHead("m=audio 9 RTP/AVP 96",
			"a=candidate:1 1 udp 1 192.0.2.1 9 typ host generation"), 6, "without a value"},
		{"candidate raddr twice", withHead("m=audio 9 RTP/AVP 96",
			"a=candidate:1 1 udp 1 192.0.2.1 9 typ srflx raddr 1.1.1.1 raddr 2.2.2.2"), 6, "given twice"},
		{"duplicate rid", withHead("m=video 9 RTP/AVP 96", "a=rid:h send", "a=rid:h send"), 7, "given twice"},
		{"rid bad direction", withHead("m=video 9 RTP/AVP 96", "a=rid:h both"), 6, "send or recv"},
		{"simulcast send twice", withHead("m=video 9 RTP/AVP 96", "a=simulcast:send a send b"), 6,
			"unknown or repeated"},
		{"simulcast empty rid", withHead("m=video 9 RTP/AVP 96", "a=simulcast:send a;;b"), 6, "simulcast rid"},
		{"r= before t=", doc("v=0", "r=1 2 3"), 2, "without a t="},
		{"bad bandwidth", withHead("b=AS"), 5, "b= must be"},
		{"bad attribute name", withHead("a=:x"), 5, "not a token"},
		{"origin with 5 fields", doc("v=0", "o=- 1 2 IN IP4"), 2, "6 fields"},
		{"origin version not a number", doc("v=0", "o=- 1 x IN IP4 0.0.0.0"), 2, "session version"},
		{"origin bad username", doc("v=0", "o=a:b 1 2 IN IP4 0.0.0.0"), 2, "bad field"},
		{"connection with 2 fields", withHead("c=IN IP4"), 5, "3 fields"},
		{"connection bad type", withHead("c=I:N IP4 1.2.3.4"), 5, "network or address type"},
		{"two session connections", withHead("c=IN IP4 1.2.3.4", "c=IN IP4 1.2.3.4"), 6, "given twice"},
		{"bandwidth not a number", withHead("b=AS:x"), 5, "not a number"},
		{"timing not numbers", doc("v=0", "t=a b"), 2, "numbers"},
		{"timing with 1 field", doc("v=0", "t=0"), 2, "2 fields"},
		{"bad media type", withHead("m=au:dio 9 RTP/AVP 0"), 5, "media type"},
		{"bad protocol", withHead("m=audio 9 RTP//AVP 0"), 5, "transport protocol"},
		{"zero port count", withHead("m=audio 9/0 RTP/AVP 0"), 5, "number of ports"},
		{"bad non-RTP format", withHead("m=application 9 UDP/DTLS/SCTP web:rtc"), 5, "bad format"},
		{"m= with 2 fields", withHead("m=audio 9"), 5, "m= needs"},
		{"rtpmap zero channels", withHead("m=audio 9 RTP/AVP 96", "a=rtpmap:96 opus/48000/0"), 6, "channels"},
		{"rtpmap without encoding", withHead("m=audio 9 RTP/AVP 96", "a=rtpmap:96"), 6, "rtpmap needs"},
		{"msid with 3 fields", withHead("m=audio 9 RTP/AVP 96", "a=msid:a b c"), 6, "msid needs"},
		{"group with bad mid", withHead("a=group:BUNDLE a:b"), 5, "bad mid"},
		{"empty group", withHead("a=group:"), 5, "group needs"},
		{"ssrc-group bad ssrc", withHead("m=audio 9 RTP/AVP 96", "a=ssrc-group:FID 1 x"), 6, "32-bit"},
		{"ssrc bad attribute name", withHead("m=audio 9 RTP/AVP 96", "a=ssrc:1 c(name:x"), 6, "attribute name"},
		{"ufrag with a space", withHead("a=ice-ufrag:ab cd"), 5, "ice-ufrag"},
		{"empty pwd", withHead("a=ice-pwd:"), 5, "ice-pwd"},
		{"empty ice-options", withHead("a=ice-options:"), 5, "without any option"},
		{"mid not a token", withHead("m=audio 9 RTP/AVP 96", "a=mid:a,b"), 6, "not a token"},
		{"extmap without uri", withHead("m=audio 9 RTP/AVP 96", "a=extmap:1"), 6, "extmap needs"},
		{"rtcp-fb type not a token", withHead("m=audio 9 RTP/AVP 96", "a=rtcp-fb:96 n:ack"), 6, "not a token"},
		{"rtcp-fb bad payload type", withHead("m=audio 9 RTP/AVP 96", "a=rtcp-fb:x nack"), 6, "payload type"},
		{"candidate bad port", withHead("m=audio 9 RTP/AVP 96", "a=candidate:1 1 udp 1 192.0.2.1 x typ host"), 6,
			"port"},
		{"candidate bad priority", withHead("m=audio 9 RTP/AVP 96", "a=candidate:1 1 udp -1 192.0.2.1 9 typ host"),
			6, "priority"},
		{"rid bad pt", withHead("m=video 9 RTP/AVP 96", "a=rid:h send pt=x"), 6, "payload type"},
		{"rid pt twice", withHead("m=video 9 RTP/AVP 96", "a=rid:h send pt=96;pt=96"), 6, "pt given twice"},
		{"rid bad id", withHead("m=video 9 RTP/AVP 96", "a=rid:h! send"), 6, "rid id"},
		{"simulcast odd fields", withHead("m=video 9 RTP/AVP 96", "a=simulcast:send"), 6, "simulcast needs"},
		{"two simulcast lines", withHead("m=video 9 RTP/AVP 96", "a=simulcast:send a", "a=simulcast:send b"), 7,
			"given twice"},
		{"fingerprint with one field", withHead("a=fingerprint:sha-256"), 5, "fingerprint needs"},
		{"too large", append([]byte("v=0\n"), make([]byte, MaxSize)...), 0, "larger than sdp.MaxSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal(tt.text)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got line %d %q, want line %d containing %q", pe.Line, err, tt.line, tt.want)
			}
		})
	}
}

func TestParseCandidate(t *testing.T) {
	for _, s := range []string{
		"candidate:842163049 1 udp 1677729535 203.0.113.7 52200 typ srflx raddr 0.0.0.0 rport 0 generation 0",
		"a=candidate:842163049 1 udp 1677729535 203.0.113.7 52200 typ srflx raddr 0.0.0.0 rport 0 generation 0",
		"842163049 1 udp 1677729535 203.0.113.7 52200 typ srflx raddr 0.0.0.0 rport 0 generation 0",
	} {
		c, err := ParseCandidate(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if c.String() != "candidate:842163049 1 udp 1677729535 203.0.113.7 52200 typ srflx raddr 0.0.0.0 rport 0 "+
			"generation 0" {
			t.Errorf("%q: String() = %q", s, c.String())
		}
	}
	if _, err := ParseCandidate("candidate:1 1 udp"); err == nil {
		t.Error("a truncated candidate was accepted")
	}
}

func TestMarshalRejectsControlCharacters(t *testing.T) {
	s := &Session{Name: "a\r\nm=audio 9 RTP/AVP 0", Timings: []Timing{{}}}
	if _, err := s.Marshal(); err == nil {
		t.Error("Marshal wrote a value with CRLF inside")
	}
	s = &Session{Media: []*Media{nil}}
	if _, err := s.Marshal(); err == nil {
		t.Error("Marshal accepted a nil media section")
	}
	var nilSession *Session
	if _, err := nilSession.Marshal(); err == nil {
		t.Error("Marshal of a nil session did not fail")
	}
}

func TestFingerprintBytes(t *testing.T) {
	f := Fingerprint{HashFunction: "sha-256", Value: "0a:FF"}
	if b, err := f.Bytes(); err != nil || !reflect.DeepEqual(b, []byte{0x0a, 0xff}) {
		t.Errorf("Bytes() = %x, %v", b, err)
	}
	if !f.Equal(Fingerprint{HashFunction: "SHA-256", Value: "0A:ff"}) {
		t.Error("Equal should ignore case")
	}
}

func TestDirection(t *testing.T) {
	tests := []struct {
		d              Direction
		reverse        Direction
		sends, receive bool
	}{
		{"", "", true, true},
		{DirectionSendRecv, DirectionSendRecv, true, true},
		{DirectionSendOnly, DirectionRecvOnly, true, false},
		{DirectionRecvOnly, DirectionSendOnly, false, true},
		{DirectionInactive, DirectionInactive, false, false},
	}
	for _, tt := range tests {
		if tt.d.Reverse() != tt.reverse || tt.d.Sends() != tt.sends || tt.d.Receives() != tt.receive {
			t.Errorf("%q: reverse %q sends %v receives %v", tt.d, tt.d.Reverse(), tt.d.Sends(), tt.d.Receives())
		}
	}
}
