package negotiate

import "testing"

func BenchmarkAnswerPublisherChromium(b *testing.B) {
	offer := load(b, "offers/chromium156-audio-video.sdp")
	local, prefs := testLocal(), DefaultPreferences()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := AnswerPublisher(offer, local, prefs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOfferListener(b *testing.B) {
	local, tracks := testLocal(), publisherTracks()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OfferListener(local, tracks); err != nil {
			b.Fatal(err)
		}
	}
}
