package rtp

import "encoding/binary"

// checkFixedHeader reports whether pkt starts with an RTP fixed header of version 2.
func checkFixedHeader(pkt []byte) error {
	if len(pkt) < FixedHeaderSize {
		return ErrHeaderTooShort
	}
	if pkt[0]>>6 != Version {
		return ErrVersion
	}
	return nil
}

// The put functions expect a checked fixed header.

func putPayloadType(pkt []byte, pt uint8) { pkt[1] = pkt[1]&0x80 | pt }

func putSequenceNumber(pkt []byte, seq uint16) { binary.BigEndian.PutUint16(pkt[2:], seq) }

func putTimestamp(pkt []byte, ts uint32) { binary.BigEndian.PutUint32(pkt[4:], ts) }

func putSSRC(pkt []byte, ssrc uint32) { binary.BigEndian.PutUint32(pkt[8:], ssrc) }

// Rewriter maps one listener's outgoing stream onto whatever source currently feeds it: it rewrites SSRC, payload
// type, sequence number and timestamp in place so that the listener sees one continuous stream even when the source
// switches (another publisher, another simulcast layer) or restarts (a new SSRC, or a sequence jump after a keyframe
// wait, announced with Switch). Within one source the offsets stay fixed (but for the numbers Pad takes between
// frames), so gaps and reordering are passed through unchanged and the listener's NACKs stay meaningful: SourceSequenceNumber translates them back, and a packet taken
// from the source's history goes through Rewrite again to be retransmitted.
//
// A Rewriter is not safe for concurrent use: it belongs to the listener's send path.
type Rewriter struct {
	ssrc        uint32
	payloadType uint8

	// Output state: the newest packet written so far.
	started   bool
	outSeq    uint16
	outTS     uint32
	frameStep uint32 // the last timestamp increase between two newest packets: one frame's duration

	// Current source mapping.
	mapped     bool
	srcSSRC    uint32
	seqOffset  uint16
	tsOffset   uint32
	srcSeq     SequenceUnwrapper // unwraps the source's sequence numbers since the mapping started
	firstSeq   int64             // unwrapped sequence number of the mapping's first packet
	firstOut   uint16            // output sequence number of the mapping's first packet
	switchStep uint32            // timestamp step announced by Switch, 0 when none

	// Padding (Pad): outMarker tells whether the newest packet written ends a frame, newestSrc is its unwrapped
	// source sequence number; pads are the mapping's last paddings, oldest first, each with the offset of the
	// source packets up to it (a late one still takes the number it would have had).
	outMarker bool
	newestSrc int64
	pads      [maxPadBoundaries]padBoundary
	nPads     int
}

// maxPadBoundaries: a late packet of the source finds its number across this many paddings back; an older one is
// refused as ErrBeforeSwitch. Probes pad a few times a cluster, a cluster every few seconds at most.
const maxPadBoundaries = 8

// padBoundary: the source packets up to last (unwrapped) take offset; those after it, one more per padding.
type padBoundary struct {
	last   int64
	offset uint16
}

// NewRewriter returns a Rewriter that writes the listener's ssrc and payloadType into every packet.
func NewRewriter(ssrc uint32, payloadType uint8) (*Rewriter, error) {
	if payloadType > MaxPayloadType {
		return nil, ErrPayloadType
	}
	return &Rewriter{ssrc: ssrc, payloadType: payloadType}, nil
}

// Switch announces that the next packet starts a new source mapping, e.g. after a keyframe wait or a source change:
// its sequence number will follow the last one written, and its timestamp will be the last one written plus
// timestampStep (the time since that packet in the stream's clock; 0 uses the last frame duration seen).
// A packet from a different SSRC than the current source switches by itself, with the last frame duration as step.
func (r *Rewriter) Switch(timestampStep uint32) {
	r.mapped = false
	r.switchStep = timestampStep
}

// Rewrite rewrites pkt in place. It returns ErrBeforeSwitch for a packet of the current source older than the packet
// that started its mapping: its sequence number would collide with one already written, so the caller drops it.
func (r *Rewriter) Rewrite(pkt []byte) error {
	if err := checkFixedHeader(pkt); err != nil {
		return err
	}
	seq := binary.BigEndian.Uint16(pkt[2:])
	ts := binary.BigEndian.Uint32(pkt[4:])
	ssrc := binary.BigEndian.Uint32(pkt[8:])
	fresh := !r.mapped || ssrc != r.srcSSRC
	if fresh {
		r.startMapping(ssrc, seq, ts)
	}
	unwrapped := r.srcSeq.Unwrap(seq)
	if unwrapped < r.firstSeq {
		return ErrBeforeSwitch
	}

	outSeq, outTS := seq+r.offsetOf(unwrapped), ts+r.tsOffset
	if !r.started || SequenceNewer(outSeq, r.outSeq) {
		// The jump onto a new mapping is no frame duration: only steps within one source are.
		if r.started && !fresh && TimestampNewer(outTS, r.outTS) {
			r.frameStep = outTS - r.outTS
		}
		r.started, r.outSeq, r.outTS = true, outSeq, outTS
		r.outMarker, r.newestSrc = pkt[1]&0x80 != 0, unwrapped
	}
	putSSRC(pkt, r.ssrc)
	putPayloadType(pkt, r.payloadType)
	putSequenceNumber(pkt, outSeq)
	putTimestamp(pkt, outTS)
	return nil
}

// offsetOf is the sequence offset of the current source's packet numbered unwrapped: the current one, or the one
// before the paddings that followed it.
func (r *Rewriter) offsetOf(unwrapped int64) uint16 {
	off := r.seqOffset
	for i := r.nPads - 1; i >= 0 && unwrapped <= r.pads[i].last; i-- {
		off = r.pads[i].offset
	}
	return off
}

// Pad numbers a padding-only packet (a bandwidth probe for a receiver without RTX) that follows the newest packet
// written: its sequence number, and the newest timestamp. The current source's packets after that one take one
// number more each time; late ones keep theirs. ok is false before any packet and while the newest packet written
// does not end a frame (its marker bit clear): a number inside a frame would split it for the receiver.
func (r *Rewriter) Pad() (seq uint16, ts uint32, ok bool) {
	if !r.started || !r.outMarker {
		return 0, 0, false
	}
	if r.mapped && (r.nPads == 0 || r.pads[r.nPads-1].last != r.newestSrc) {
		if r.nPads == maxPadBoundaries {
			// The oldest boundary is forgotten: the packets it covered are now too old to place.
			r.firstSeq = r.pads[0].last + 1
			r.firstOut = uint16(r.firstSeq) + r.pads[1].offset
			copy(r.pads[:], r.pads[1:])
			r.nPads--
		}
		r.pads[r.nPads] = padBoundary{last: r.newestSrc, offset: r.seqOffset}
		r.nPads++
	}
	// Unmapped (after Switch), the next mapping starts after outSeq anyway.
	r.seqOffset++
	r.outSeq++
	return r.outSeq, r.outTS, true
}

// startMapping makes the packet (seq, ts) of source ssrc follow the last packet written.
func (r *Rewriter) startMapping(ssrc uint32, seq uint16, ts uint32) {
	r.mapped, r.srcSSRC = true, ssrc
	r.nPads = 0
	r.srcSeq = SequenceUnwrapper{}
	r.firstSeq = r.srcSeq.Unwrap(seq)
	step := r.switchStep
	r.switchStep = 0
	if !r.started {
		r.seqOffset, r.tsOffset, r.firstOut = 0, 0, seq
		return
	}
	if step == 0 {
		step = max(r.frameStep, 1)
	}
	r.seqOffset = r.outSeq + 1 - seq
	r.tsOffset = r.outTS + step - ts
	r.firstOut = seq + r.seqOffset
}

// SourceSequenceNumber maps a sequence number the listener received (e.g. one it NACKs) back to the current source's,
// so that the packet can be found in the source's send history and rewritten again for a retransmission. ok is false
// for numbers outside the current mapping: written before the last switch, or not written yet.
func (r *Rewriter) SourceSequenceNumber(out uint16) (seq uint16, ok bool) {
	if !r.mapped || SequenceNewer(r.firstOut, out) || SequenceNewer(out, r.outSeq) {
		return 0, false
	}
	off := r.seqOffset
	for i := r.nPads - 1; i >= 0; i-- {
		b := r.pads[i]
		last := uint16(b.last) + b.offset
		if SequenceNewer(out, last) {
			// After the boundary: one of its paddings, unless past them.
			if !SequenceNewer(out, last+(off-b.offset)) {
				return 0, false
			}
			break
		}
		off = b.offset
	}
	return out - off, true
}
