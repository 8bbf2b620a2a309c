package negotiate

import (
	"encoding/hex"
	"fmt"
)

// H264Profile is an H.264 profile as profile-level-id signals it (RFC 6184 section 8.1).
type H264Profile string

// H.264 profiles browsers offer.
const (
	H264ConstrainedBaseline H264Profile = "constrained-baseline"
	H264Baseline            H264Profile = "baseline"
	H264Main                H264Profile = "main"
	H264ConstrainedHigh     H264Profile = "constrained-high"
	H264High                H264Profile = "high"
	H264PredictiveHigh444   H264Profile = "predictive-high-444"
)

// h264DefaultProfileLevelID is what an fmtp without profile-level-id means (RFC 6184): Baseline, level 1.0.
const h264DefaultProfileLevelID = "420010"

// h264Patterns maps profile_idc and the constraint flags of profile-iop (under a mask) to a profile, as H.264
// Annex A defines them: a Main or Extended stream with the right constraint flags is decodable as Constrained
// Baseline, for instance.
var h264Patterns = []struct {
	idc         byte
	mask, value byte
	profile     H264Profile
}{
	{0x42, 0x4f, 0x40, H264ConstrainedBaseline}, // x1xx0000
	{0x4d, 0x8f, 0x80, H264ConstrainedBaseline}, // 1xxx0000
	{0x58, 0xcf, 0xc0, H264ConstrainedBaseline}, // 11xx0000
	{0x42, 0x4f, 0x00, H264Baseline},            // x0xx0000
	{0x58, 0xcf, 0x80, H264Baseline},            // 10xx0000
	{0x4d, 0xaf, 0x00, H264Main},                // 0x0x0000
	{0x64, 0xff, 0x00, H264High},                // 00000000
	{0x64, 0xff, 0x0c, H264ConstrainedHigh},     // 00001100
	{0xf4, 0xff, 0x00, H264PredictiveHigh444},   // 00000000
}

// ParseH264ProfileLevelID reads a profile-level-id such as 42e01f: the profile and the level_idc byte (31 for 3.1).
func ParseH264ProfileLevelID(s string) (H264Profile, uint8, error) {
	if len(s) != 6 {
		return "", 0, fmt.Errorf("profile-level-id %q: want 6 hex digits", s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", 0, fmt.Errorf("profile-level-id %q: want 6 hex digits", s)
	}
	for _, p := range h264Patterns {
		if b[0] == p.idc && b[1]&p.mask == p.value {
			return p.profile, b[2], nil
		}
	}
	return "", 0, fmt.Errorf("profile-level-id %q: unknown profile", s)
}
