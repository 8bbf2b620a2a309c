package codecs

import "fmt"

// DefaultPayloadBudget is the RTP payload size the payloaders fill at most by default: with a 12-byte RTP header,
// a few header extensions, the SRTP tag and the UDP and IPv6 headers, a packet stays well under the 1,280-byte
// IPv6 minimum MTU, so it is never fragmented.
const DefaultPayloadBudget = 1200

// maxPayloadBudget bounds the budget to what a 16-bit length (the STAP-A NAL unit size) and a UDP datagram hold.
const maxPayloadBudget = 65000

// payloadBudget validates a configured budget; 0 means DefaultPayloadBudget.
func payloadBudget(budget int) (int, error) {
	switch {
	case budget == 0:
		return DefaultPayloadBudget, nil
	case budget < 0 || budget > maxPayloadBudget:
		return 0, fmt.Errorf("codecs: payload budget %d outside 1-%d", budget, maxPayloadBudget)
	default:
		return budget, nil
	}
}

// split describes n bytes cut into count pieces of at most max bytes each, whose sizes differ by at most one.
type split struct {
	count, base, extra int
}

// balancedSplit cuts n > 0 bytes into the fewest pieces of at most limit > 0 bytes, balanced.
func balancedSplit(n, limit int) split {
	count := (n + limit - 1) / limit
	return split{count: count, base: n / count, extra: n % count}
}

// size is the size of piece i: the first extra pieces hold one byte more.
func (s split) size(i int) int {
	if i < s.extra {
		return s.base + 1
	}
	return s.base
}

// growBuffer returns b with length n, reusing its array when it is large enough.
func growBuffer(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
