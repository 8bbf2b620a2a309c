package sdp

import "testing"

func BenchmarkUnmarshalChromiumOffer(b *testing.B) {
	data := fixtures(b)["chromium156-audio-video.sdp"]
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalChromiumOffer(b *testing.B) {
	s, err := Unmarshal(fixtures(b)["chromium156-audio-video.sdp"])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
