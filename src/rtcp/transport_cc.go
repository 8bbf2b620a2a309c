package rtcp

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Units of the transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01, section 3.1).
const (
	// TransportCCReferenceUnit is the unit of TransportCC.ReferenceTime.
	TransportCCReferenceUnit = 64 * time.Millisecond
	// TransportCCDeltaUnit is the resolution of arrival times: the unit of the receive deltas.
	TransportCCDeltaUnit = 250 * time.Microsecond
)

// Packet status symbols: the size of the packet's receive delta.
const (
	symbolNotReceived = 0
	symbolSmallDelta  = 1 // one unsigned byte
	symbolLargeDelta  = 2 // two bytes, signed
)

const (
	tccFixedSize     = 8 // base sequence, status count, reference time, feedback count
	runLengthMax     = 1<<13 - 1
	oneBitCapacity   = 14
	twoBitCapacity   = 7
	chunkSize        = 2
	maxReferenceTime = 1<<24 - 1
)

// TransportCC is a transport-wide congestion control feedback message (RTPFB FMT 15): the arrival time of each
// received RTP packet among the PacketCount packets numbered from BaseSequence by the transport-wide sequence
// number header extension. Packets of the range absent from Arrivals were not received.
type TransportCC struct {
	SenderSSRC uint32
	MediaSSRC  uint32
	// BaseSequence is the transport-wide sequence number of the first packet the feedback covers.
	BaseSequence uint16
	// PacketCount is the number of packets covered, received or not.
	PacketCount uint16
	// ReferenceTime is the time base of the arrivals, in TransportCCReferenceUnit. Only its low 24 bits are sent,
	// so Unmarshal gives it modulo 2^24 (a wrap every 12.4 days).
	ReferenceTime uint32
	// FeedbackCount numbers the feedback packets the sender sent, so that the media sender can detect lost ones.
	FeedbackCount uint8
	// Arrivals lists the received packets in sequence order.
	Arrivals []PacketArrival
}

// PacketArrival is one received packet: its transport-wide sequence number and its arrival time, in the feedback
// sender's clock: ReferenceTime*TransportCCReferenceUnit plus the receive deltas up to this packet.
type PacketArrival struct {
	Sequence uint16
	Arrival  time.Duration
}

// TransportCCReferenceTime is the reference time to use for a feedback whose first arrival is first: the largest
// multiple of TransportCCReferenceUnit not after it, so that the first delta is small and positive.
func TransportCCReferenceTime(first time.Duration) uint32 {
	if first <= 0 {
		return 0
	}
	return uint32(first / TransportCCReferenceUnit)
}

// Unmarshal decodes one transport-wide CC feedback packet, reusing t.Arrivals.
func (t *TransportCC) Unmarshal(packet []byte) error {
	sender, media, fci, err := feedbackBody(packet, TypeTransportFeedback, FormatTransportCC)
	if err != nil {
		return err
	}
	if len(fci) < tccFixedSize {
		return fmt.Errorf("%w: transport-wide CC feedback with %d bytes of FCI", ErrLength, len(fci))
	}
	count := int(binary.BigEndian.Uint16(fci[2:]))
	deltas, deltaBytes, err := scanChunks(fci, count)
	if err != nil {
		return err
	}
	if extra := len(fci) - deltas - deltaBytes; extra < 0 || extra > 3 {
		return fmt.Errorf("%w: receive deltas need %d bytes, %d follow the chunks",
			ErrLength, deltaBytes, len(fci)-deltas)
	}
	t.SenderSSRC, t.MediaSSRC = sender, media
	t.BaseSequence = binary.BigEndian.Uint16(fci)
	t.PacketCount = uint16(count)
	t.ReferenceTime = binary.BigEndian.Uint32(fci[4:]) >> 8
	t.FeedbackCount = fci[7]
	t.Arrivals = t.Arrivals[:0]
	at := time.Duration(t.ReferenceTime) * TransportCCReferenceUnit
	seq, d := t.BaseSequence, deltas
	for off := tccFixedSize; off < deltas; off += chunkSize {
		chunk := binary.BigEndian.Uint16(fci[off:])
		n := min(chunkLen(chunk), count)
		for i := range n {
			switch chunkSymbol(chunk, i) {
			case symbolSmallDelta:
				at += time.Duration(fci[d]) * TransportCCDeltaUnit
				t.Arrivals = append(t.Arrivals, PacketArrival{Sequence: seq, Arrival: at})
				d++
			case symbolLargeDelta:
				at += time.Duration(int16(binary.BigEndian.Uint16(fci[d:]))) * TransportCCDeltaUnit
				t.Arrivals = append(t.Arrivals, PacketArrival{Sequence: seq, Arrival: at})
				d += 2
			}
			seq++
		}
		count -= n
	}
	return nil
}

// scanChunks walks the packet status chunks that cover count packets, and returns where the receive deltas start
// and how many bytes they take.
func scanChunks(fci []byte, count int) (deltas, deltaBytes int, err error) {
	off := tccFixedSize
	for count > 0 {
		if off+chunkSize > len(fci) {
			return 0, 0, fmt.Errorf("%w: status chunks end before covering %d more packets", ErrLength, count)
		}
		chunk := binary.BigEndian.Uint16(fci[off:])
		off += chunkSize
		n := min(chunkLen(chunk), count)
		if n == 0 {
			return 0, 0, fmt.Errorf("%w: run length chunk of length 0", ErrInvalid)
		}
		for i := range n {
			switch chunkSymbol(chunk, i) {
			case symbolSmallDelta:
				deltaBytes++
			case symbolLargeDelta:
				deltaBytes += 2
			case symbolNotReceived:
			default:
				return 0, 0, fmt.Errorf("%w: reserved packet status symbol", ErrInvalid)
			}
		}
		count -= n
	}
	return off, deltaBytes, nil
}

// chunkLen is the number of packets a status chunk describes.
func chunkLen(chunk uint16) int {
	switch {
	case chunk&0x8000 == 0: // run length chunk
		return int(chunk & runLengthMax)
	case chunk&0x4000 == 0: // status vector of 1-bit symbols
		return oneBitCapacity
	default: // status vector of 2-bit symbols
		return twoBitCapacity
	}
}

// chunkSymbol is the status symbol of the i-th packet a chunk describes.
func chunkSymbol(chunk uint16, i int) uint8 {
	switch {
	case chunk&0x8000 == 0:
		return uint8(chunk>>13) & 3
	case chunk&0x4000 == 0:
		return uint8(chunk>>(13-i)) & 1
	default:
		return uint8(chunk>>(12-2*i)) & 3
	}
}

// MarshalSize is the size of the encoded packet, or 0 when the packet cannot be encoded (see AppendTo).
func (t *TransportCC) MarshalSize() int {
	_, chunks, deltaBytes, err := t.encodeChunks(nil, false)
	if err != nil {
		return 0
	}
	n := feedbackHeaderSize + tccFixedSize + chunks*chunkSize + deltaBytes
	return n + pad4(n)
}

// AppendTo appends the encoded packet to b. Arrivals must be in sequence order inside the covered range, and each
// must come at most 8.19 s after the previous one (or after the reference time for the first): split longer
// feedback. Arrival times are rounded to TransportCCDeltaUnit without accumulating the rounding error.
func (t *TransportCC) AppendTo(b []byte) ([]byte, error) {
	if err := checkSender(t.SenderSSRC); err != nil {
		return b, err
	}
	start := len(b)
	b = appendFeedbackHeader(b, FormatTransportCC, TypeTransportFeedback, feedbackHeaderSize,
		t.SenderSSRC, t.MediaSSRC)
	b = binary.BigEndian.AppendUint16(b, t.BaseSequence)
	b = binary.BigEndian.AppendUint16(b, t.PacketCount)
	b = binary.BigEndian.AppendUint32(b, (t.ReferenceTime&maxReferenceTime)<<8|uint32(t.FeedbackCount))
	b, _, _, err := t.encodeChunks(b, true)
	if err != nil {
		return b[:start], err
	}
	b = t.appendDeltas(b)
	b = appendZeros(b, pad4(len(b)-start))
	if len(b)-start > maxWords*4 {
		return b[:start], fmt.Errorf("%w: transport-wide CC feedback of %d bytes", ErrTooLarge, len(b)-start)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16((len(b)-start)/4-1))
	return b, nil
}

// Marshal returns the encoded packet in a new buffer.
func (t *TransportCC) Marshal() ([]byte, error) { return t.AppendTo(make([]byte, 0, t.MarshalSize())) }

// deltaWalker computes the receive deltas of successive arrivals, in TransportCCDeltaUnit. It rounds each arrival
// against the previous rounded one, so rounding errors do not accumulate.
type deltaWalker struct{ at time.Duration }

func newDeltaWalker(reference uint32) deltaWalker {
	return deltaWalker{at: time.Duration(reference) * TransportCCReferenceUnit}
}

func (w *deltaWalker) next(arrival time.Duration) int64 {
	units := int64((arrival - w.at).Round(TransportCCDeltaUnit) / TransportCCDeltaUnit)
	w.at += time.Duration(units) * TransportCCDeltaUnit
	return units
}

func deltaSymbol(units int64) (uint8, error) {
	switch {
	case units >= 0 && units <= 0xff:
		return symbolSmallDelta, nil
	case units >= -1<<15 && units < 1<<15:
		return symbolLargeDelta, nil
	}
	return 0, fmt.Errorf("%w: receive delta of %v", ErrTooLarge, time.Duration(units)*TransportCCDeltaUnit)
}

// encodeChunks encodes the packet status chunks, appending them to b when write is set, and returns how many chunks
// and how many bytes of receive deltas the packet needs.
func (t *TransportCC) encodeChunks(b []byte, write bool) (out []byte, chunks, deltaBytes int, err error) {
	enc := chunkEncoder{out: b, write: write, allSame: true}
	w := newDeltaWalker(t.ReferenceTime)
	next := 0 // offset from BaseSequence of the next packet to describe
	for i, a := range t.Arrivals {
		offset := int(a.Sequence - t.BaseSequence)
		if offset < next || offset >= int(t.PacketCount) {
			return b, 0, 0, fmt.Errorf("%w: arrival %d (sequence %d) is out of order or outside %d+%d",
				ErrInvalid, i, a.Sequence, t.BaseSequence, t.PacketCount)
		}
		symbol, err := deltaSymbol(w.next(a.Arrival))
		if err != nil {
			return b, 0, 0, err
		}
		for ; next < offset; next++ {
			enc.add(symbolNotReceived)
		}
		enc.add(symbol)
		deltaBytes += int(symbol) // a small delta takes one byte, a large one two
		next++
	}
	for ; next < int(t.PacketCount); next++ {
		enc.add(symbolNotReceived)
	}
	enc.flush()
	return enc.out, enc.chunks, deltaBytes, nil
}

// appendDeltas appends the receive deltas; encodeChunks has checked that they fit.
func (t *TransportCC) appendDeltas(b []byte) []byte {
	w := newDeltaWalker(t.ReferenceTime)
	for _, a := range t.Arrivals {
		units := w.next(a.Arrival)
		if units >= 0 && units <= 0xff {
			b = append(b, byte(units))
		} else {
			b = binary.BigEndian.AppendUint16(b, uint16(int16(units)))
		}
	}
	return b
}

// chunkEncoder packs status symbols into as few chunks as it can: a run length chunk for a run of one symbol, a
// vector of fourteen 1-bit symbols while no large delta occurs, otherwise a vector of seven 2-bit symbols.
type chunkEncoder struct {
	out      []byte
	write    bool // false when only counting chunks
	chunks   int
	pending  [oneBitCapacity]uint8 // the first symbols not yet emitted
	n        int                   // number of symbols not yet emitted (beyond len(pending) in a run)
	allSame  bool
	hasLarge bool
}

func (e *chunkEncoder) add(symbol uint8) {
	if !e.canAdd(symbol) {
		e.emit()
	}
	if e.n < len(e.pending) {
		e.pending[e.n] = symbol
	}
	e.allSame = e.allSame && (e.n == 0 || symbol == e.pending[0])
	e.hasLarge = e.hasLarge || symbol == symbolLargeDelta
	e.n++
}

func (e *chunkEncoder) canAdd(symbol uint8) bool {
	switch {
	case e.n < twoBitCapacity:
		return true
	case e.n < oneBitCapacity && !e.hasLarge && symbol != symbolLargeDelta:
		return true
	default:
		return e.n < runLengthMax && e.allSame && symbol == e.pending[0]
	}
}

// emit writes one chunk when add cannot take another symbol.
func (e *chunkEncoder) emit() {
	switch {
	case e.allSame:
		e.emitChunk(uint16(e.pending[0])<<13 | uint16(e.n))
		e.n, e.hasLarge = 0, false
	case e.n == oneBitCapacity:
		e.emitChunk(e.vector(oneBitCapacity, 1))
		e.n, e.allSame, e.hasLarge = 0, true, false
	default:
		// Here 7 < n < 14: send the first seven symbols and keep the others.
		e.emitChunk(e.vector(twoBitCapacity, 2))
		e.keepFrom(twoBitCapacity)
	}
}

// flush writes the symbols left at the end.
func (e *chunkEncoder) flush() {
	switch {
	case e.n == 0:
	case e.allSame:
		e.emitChunk(uint16(e.pending[0])<<13 | uint16(e.n))
	case e.n <= twoBitCapacity:
		e.emitChunk(e.vector(twoBitCapacity, 2))
	default:
		e.emitChunk(e.vector(oneBitCapacity, 1))
	}
}

// vector builds a status vector chunk of the pending symbols, width bits each (missing ones read as not received).
func (e *chunkEncoder) vector(capacity, width int) uint16 {
	chunk := uint16(0x8000)
	if width == 2 {
		chunk |= 0x4000
	}
	for i := range min(e.n, capacity) {
		chunk |= uint16(e.pending[i]) << (14 - width*(i+1))
	}
	return chunk
}

// keepFrom drops the pending symbols before index first and keeps the others (n <= len(pending) here).
func (e *chunkEncoder) keepFrom(first int) {
	rest := e.n - first
	copy(e.pending[:], e.pending[first:e.n])
	e.allSame, e.hasLarge = true, false
	for _, s := range e.pending[:rest] {
		e.allSame = e.allSame && s == e.pending[0]
		e.hasLarge = e.hasLarge || s == symbolLargeDelta
	}
	e.n = rest
}

func (e *chunkEncoder) emitChunk(chunk uint16) {
	e.chunks++
	if e.write {
		e.out = binary.BigEndian.AppendUint16(e.out, chunk)
	}
}
