package sdp

import (
	"reflect"
	"testing"
)

func TestNewSessionID(t *testing.T) {
	a, err := NewSessionID()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSessionID()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a >= 1<<62 || b >= 1<<62 {
		t.Errorf("ids %d and %d: want two different values below 2^62", a, b)
	}
}

func TestTransportMerge(t *testing.T) {
	session := Transport{ICEUfrag: "s", ICEPwd: "sp", ICEOptions: []string{"trickle"},
		Fingerprints: []Fingerprint{{HashFunction: "sha-256", Value: "AA"}}, Setup: SetupActPass}
	media := Transport{ICEUfrag: "m", ICEPwd: "mp"}
	want := Transport{ICEUfrag: "m", ICEPwd: "mp", ICEOptions: []string{"trickle"},
		Fingerprints: []Fingerprint{{HashFunction: "sha-256", Value: "AA"}}, Setup: SetupActPass}
	if got := media.Merge(session); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestMediaByMIDAndGroup(t *testing.T) {
	s, err := Unmarshal(fixtures(t)["firefox52-two-audio.sdp"])
	if err != nil {
		t.Fatal(err)
	}
	if m := s.MediaByMID("sdparta_2"); m == nil || m.Kind != KindVideo {
		t.Errorf("MediaByMID = %+v", m)
	}
	if s.MediaByMID("nope") != nil || s.Group("LS") != nil {
		t.Error("found what does not exist")
	}
	if g := s.Group("bundle"); !g.Has("sdparta_1") || g.Has("x") {
		t.Errorf("BUNDLE group %+v", g)
	}
	if !s.Media[1].BundleOnly || s.Media[1].Rejected() {
		t.Error("a bundle-only section is not rejected")
	}
}
