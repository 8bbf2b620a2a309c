//go:build race

package srtp

// raceDetector is true when the race detector, whose shadow memory inflates the resident set, is on.
const raceDetector = true
