package rtp

import (
	"encoding/hex"
	"strings"
	"testing"
)

// unhex decodes a hex string in which spaces only help reading.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// Fixed headers used across tests: version 2, PT 96, sequence 0x1234, timestamp 0x64, SSRC 0xdeadbeef.
const (
	fixedPlain     = "80 60 1234 00000064 deadbeef"
	fixedWithX     = "90 60 1234 00000064 deadbeef"
	fixedWithXCC2  = "92 60 1234 00000064 deadbeef 00000001 00000002"
	fixedWithPad   = "a0 60 1234 00000064 deadbeef"
	fixedMarker    = "80 e0 1234 00000064 deadbeef"
	oneByteExtHdr  = "bede 0002"
	oneByteExtBody = "10 aa 22 bbbbbb 00 00" // id 1 = aa, id 2 = bbbbbb, two padding bytes
	twoByteExtHdr  = "1000 0002"
	twoByteExtBody = "01 00 10 02 cccc 00 00" // id 1 empty, id 16 = cccc, two padding bytes
)
