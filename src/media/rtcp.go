package media

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/heytribe/live-webrtcsignaling/src/rtcp"
)

// maxByeReason is the longest reason text a BYE carries.
const maxByeReason = 255

// goodbye builds the compound packet that ends a session's streams (RFC 3550 6.6): an empty RR from ssrc, its
// CNAME, and a BYE for sources with the reason.
func goodbye(ssrc uint32, cname, reason string, sources ...uint32) ([]byte, error) {
	rr := rtcp.ReceiverReport{SSRC: ssrc}
	b, err := rr.AppendTo(nil)
	if err != nil {
		return nil, err
	}
	if b, err = rtcp.AppendCNAME(b, ssrc, cname); err != nil {
		return nil, err
	}
	if len(reason) > maxByeReason {
		reason = reason[:maxByeReason]
	}
	bye := rtcp.Goodbye{Sources: sources, Reason: []byte(reason)}
	return bye.AppendTo(b)
}

// randomSSRC returns a random non-zero SSRC (RFC 3550 8.1: chosen at random so that sources do not collide).
func randomSSRC() uint32 {
	var b [4]byte
	for {
		// crypto/rand.Read never fails (it panics when the system's source is broken).
		_, _ = rand.Read(b[:])
		if s := binary.BigEndian.Uint32(b[:]); s != 0 {
			return s
		}
	}
}

// randomToken returns n random ICE characters (letters and digits), for CNAMEs.
func randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
