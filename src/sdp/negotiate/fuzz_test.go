package negotiate

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/sdp"
)

func addFiles(f *testing.F, pattern string) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", pattern))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed for %s: %v", pattern, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzAnswerPublisher checks that no offer makes AnswerPublisher panic, and that every answer it gives parses and
// carries the codecs the result announces.
func FuzzAnswerPublisher(f *testing.F) {
	addFiles(f, "offers/*.sdp")
	f.Fuzz(func(t *testing.T, data []byte) {
		offer, err := sdp.Unmarshal(data)
		if err != nil {
			return
		}
		answer, result, err := AnswerPublisher(offer, testLocal(), DefaultPreferences())
		if err != nil {
			return
		}
		checkAnswerMatches(t, reparse(t, answer), result)
	})
}

// FuzzReadListenerAnswer checks that no answer makes ReadListenerAnswer panic, and that what it accepts only uses
// payload types of the offer.
func FuzzReadListenerAnswer(f *testing.F) {
	addFiles(f, "listener/*-answer.sdp")
	offer, err := OfferListener(testLocal(), publisherTracks())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		answer, err := sdp.Unmarshal(data)
		if err != nil {
			return
		}
		result, err := ReadListenerAnswer(offer, answer)
		if err != nil {
			return
		}
		for i, m := range result.Media {
			offered := offer.Media[i].Formats
			if m.Rejected {
				continue
			}
			if !slices.Contains(offered, strconv.Itoa(int(m.Codec.PayloadType))) ||
				m.Codec.RTXPayloadType != 0 && !slices.Contains(offered, strconv.Itoa(int(m.Codec.RTXPayloadType))) {
				t.Fatalf("section %d accepted payload types %d/%d, offered %v", i, m.Codec.PayloadType,
					m.Codec.RTXPayloadType, offered)
			}
		}
	})
}

// FuzzParseH264ProfileLevelID checks the parser never panics and only accepts 6 hex digits.
func FuzzParseH264ProfileLevelID(f *testing.F) {
	for _, s := range []string{"42e01f", "640c1f", "4d001f", "f4001f", "58c01f", "zzzzzz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		profile, _, err := ParseH264ProfileLevelID(s)
		if err == nil && (len(s) != 6 || profile == "") {
			t.Fatalf("accepted %q as %q", s, profile)
		}
	})
}
