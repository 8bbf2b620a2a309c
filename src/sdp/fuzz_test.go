package sdp

import (
	"reflect"
	"testing"
)

// FuzzUnmarshal checks that Unmarshal never panics and that whatever it accepts survives Marshal and Unmarshal.
func FuzzUnmarshal(f *testing.F) {
	for _, data := range fixtures(f) {
		f.Add(data)
	}
	f.Add(withHead("m=video 9 UDP/TLS/RTP/SAVPF 96", "a=rid:h send pt=96;max-width=1280", "a=simulcast:send h;~l"))
	f.Add(withHead("m=audio 0 RTP/AVP", "a=candidate:1 1 udp 1 x.local 9 typ host raddr 0.0.0.0 rport 0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Unmarshal(data)
		if err != nil {
			return
		}
		text, err := s.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed session: %v", err)
		}
		again, err := Unmarshal(text)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(s)): %v\n%q", err, text)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed the session\n%q", text)
		}
	})
}

// FuzzParseCandidate checks ParseCandidate on trickled candidate strings: no panic, and String() parses back to the
// same candidate.
func FuzzParseCandidate(f *testing.F) {
	for _, data := range fixtures(f) {
		s, err := Unmarshal(data)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range s.Media {
			for _, c := range m.Candidates {
				f.Add(c.String())
			}
		}
	}
	f.Add("candidate:1 1 udp 1686052607 2001:db8::7 61000 typ srflx raddr fe80::1%eth0 rport 50000 ufrag abcd")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCandidate(s)
		if err != nil {
			return
		}
		again, err := ParseCandidate(c.String())
		if err != nil || !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip of %q: %+v, %v", c.String(), again, err)
		}
	})
}

// FuzzParseFmtpParams checks that format parameters never make the parser panic and that names and values come
// back trimmed and without separators.
func FuzzParseFmtpParams(f *testing.F) {
	f.Add("minptime=10;useinbandfec=1")
	f.Add("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
	f.Add("0-15")
	f.Add("sprop-parameter-sets=Z0IAH+KQCgC3YC3AQEBpB4kRUA==,aM48gA==; x=;;=y")
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range ParseFmtpParams(s) {
			if p.Name == "" && p.Value == "" {
				t.Fatalf("empty parameter from %q", s)
			}
			for _, c := range p.Name + p.Value {
				if c == ';' {
					t.Fatalf("separator kept in %+v from %q", p, s)
				}
			}
		}
	})
}
