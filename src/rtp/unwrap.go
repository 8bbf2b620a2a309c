package rtp

// SequenceUnwrapper extends 16-bit sequence numbers to 64 bits, for NACK and loss bookkeeping. Each number is placed
// at the value closest to the highest one seen so far, so reordering and wrap-around in either direction are handled
// as long as packets are less than 2^15 numbers apart. A packet older than the first one gets a value below it,
// possibly negative.
type SequenceUnwrapper struct {
	highest int64
	started bool
}

// NewSequenceUnwrapper returns an unwrapper whose first packet keeps its own value.
func NewSequenceUnwrapper() *SequenceUnwrapper {
	return &SequenceUnwrapper{}
}

// Unwrap returns the 64-bit extension of seq.
func (u *SequenceUnwrapper) Unwrap(seq uint16) int64 {
	if !u.started {
		u.started, u.highest = true, int64(seq)
		return u.highest
	}
	v := u.highest + int64(int16(seq-uint16(u.highest)))
	u.highest = max(u.highest, v)
	return v
}

// TimestampUnwrapper extends 32-bit RTP timestamps to 64 bits the same way SequenceUnwrapper does for sequence
// numbers, as long as timestamps are less than 2^31 clock ticks apart.
type TimestampUnwrapper struct {
	highest int64
	started bool
}

// NewTimestampUnwrapper returns an unwrapper whose first timestamp keeps its own value.
func NewTimestampUnwrapper() *TimestampUnwrapper {
	return &TimestampUnwrapper{}
}

// Unwrap returns the 64-bit extension of ts.
func (u *TimestampUnwrapper) Unwrap(ts uint32) int64 {
	if !u.started {
		u.started, u.highest = true, int64(ts)
		return u.highest
	}
	v := u.highest + int64(int32(ts-uint32(u.highest)))
	u.highest = max(u.highest, v)
	return v
}

// SequenceNewer reports whether sequence number a comes after b, modulo 2^16 (RFC 1982 serial number arithmetic).
func SequenceNewer(a, b uint16) bool {
	return a != b && a-b < 1<<15
}

// TimestampNewer reports whether timestamp a comes after b, modulo 2^32.
func TimestampNewer(a, b uint32) bool {
	return a != b && a-b < 1<<31
}
