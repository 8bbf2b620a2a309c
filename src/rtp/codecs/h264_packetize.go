package codecs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// More H264 NAL unit types: the slice data partitions, and filler data, which the payloader drops (it means
// nothing once the stream is framed by RTP).
const (
	h264NALPartitionA H264NALUnitType = 2
	h264NALPartitionB H264NALUnitType = 3
	h264NALPartitionC H264NALUnitType = 4
	h264NALFiller     H264NALUnitType = 12
)

const (
	h264NRIMask       = 0x60
	h264FUStart       = 0x80
	h264FUEnd         = 0x40
	h264STAPAOverhead = 1 // the STAP-A NAL unit header
)

// annexBStartCode is the 4-byte start code the depacketizer writes ahead of each NAL unit.
var annexBStartCode = [4]byte{0, 0, 0, 1}

// ErrH264AnnexB reports an access unit that does not begin with an Annex B start code.
var ErrH264AnnexB = errors.New("codecs: H264 access unit without an Annex B start code")

// H264PayloaderConfig configures an H264Payloader.
type H264PayloaderConfig struct {
	// PayloadBudget is the most bytes of one RTP payload; 0 means DefaultPayloadBudget.
	PayloadBudget int
}

// H264Payloader splits H264 access units, as encoders write them in Annex B byte-stream form, into RTP payloads
// of packetization mode 1 (RFC 6184): a NAL unit that fits the budget goes alone (single NAL unit packet) or,
// with the small ones that follow it, in a STAP-A; a larger one is cut into FU-A fragments of balanced sizes.
// Access unit delimiters and filler data are dropped.
//
// It keeps the last SPS and PPS it saw and puts them ahead of an IDR slice that comes without them, so that every
// IDR sent is decodable by a receiver that joins there (encoders repeat their parameter sets on a forced keyframe,
// not necessarily on every IDR). With SPS and PPS small, they travel together in one STAP-A.
//
// An H264Payloader is not safe for concurrent use.
type H264Payloader struct {
	budget   int
	sps, pps []byte

	nals     [][]byte
	buf      []byte
	ends     []int
	payloads [][]byte
}

// NewH264Payloader returns an H264Payloader with the default budget.
func NewH264Payloader() *H264Payloader {
	return &H264Payloader{budget: DefaultPayloadBudget}
}

// NewH264PayloaderWith returns an H264Payloader configured by cfg.
func NewH264PayloaderWith(cfg H264PayloaderConfig) (*H264Payloader, error) {
	budget, err := payloadBudget(cfg.PayloadBudget)
	if err != nil {
		return nil, err
	}
	if budget <= h264FUHeaderSize {
		return nil, fmt.Errorf("codecs: payload budget %d leaves no room after the FU-A header", budget)
	}
	return &H264Payloader{budget: budget}, nil
}

// Payload splits one access unit into payloads of at most the budget each, in sending order: the RTP packet of
// the last one gets the marker bit. The payloads share a buffer that the next call reuses: marshal or copy them
// first.
func (p *H264Payloader) Payload(accessUnit []byte) ([][]byte, error) {
	if err := p.collectNALs(accessUnit); err != nil {
		return nil, err
	}
	if len(p.nals) == 0 {
		return nil, ErrEmptyFrame
	}
	p.addParameterSets()
	p.buf, p.ends = p.buf[:0], p.ends[:0]
	for i := 0; i < len(p.nals); {
		n := p.aggregated(i)
		switch {
		case n > 1:
			p.writeSTAPA(p.nals[i : i+n])
		case len(p.nals[i]) <= p.budget:
			p.buf = append(p.buf, p.nals[i]...)
			p.ends = append(p.ends, len(p.buf))
		default:
			p.writeFUA(p.nals[i])
		}
		i += max(n, 1)
	}
	p.payloads = p.payloads[:0]
	start := 0
	for _, end := range p.ends {
		p.payloads = append(p.payloads, p.buf[start:end:end])
		start = end
	}
	return p.payloads, nil
}

// collectNALs splits the access unit into its NAL units, dropping the ones not sent and remembering parameter sets.
func (p *H264Payloader) collectNALs(accessUnit []byte) error {
	p.nals = p.nals[:0]
	var err error
	ok := forEachAnnexBNAL(accessUnit, func(nal []byte) {
		if err != nil || len(nal) == 0 {
			return
		}
		if nal[0]&h264ForbiddenBit != 0 {
			err = ErrH264ForbiddenBit
			return
		}
		switch t := H264NALUnitType(nal[0] & h264TypeMask); {
		case t == 0 || t > h264MaxSingleType:
			err = ErrH264NALType
		case t == H264NALAUD || t == h264NALFiller:
		default:
			if t == H264NALSPS {
				p.sps = append(p.sps[:0], nal...)
			}
			if t == H264NALPPS {
				p.pps = append(p.pps[:0], nal...)
			}
			p.nals = append(p.nals, nal)
		}
	})
	if !ok {
		return ErrH264AnnexB
	}
	return err
}

// addParameterSets puts the last SPS and PPS ahead of the first IDR slice when the access unit lacks them. A
// missing SPS goes ahead of the access unit's own PPS, if any: decoders parse a PPS against its SPS.
func (p *H264Payloader) addParameterSets() {
	idr, pps := -1, -1
	hasSPS := false
	for i, nal := range p.nals {
		switch H264NALUnitType(nal[0] & h264TypeMask) {
		case H264NALIDR:
			if idr < 0 {
				idr = i
			}
		case H264NALSPS:
			hasSPS = true
		case H264NALPPS:
			if pps < 0 {
				pps = i
			}
		}
	}
	if idr < 0 {
		return
	}
	if pps < 0 && p.pps != nil {
		p.nals = slices.Insert(p.nals, idr, p.pps)
		pps = idr
	}
	if !hasSPS && p.sps != nil {
		if pps < 0 {
			pps = idr
		}
		p.nals = slices.Insert(p.nals, min(pps, idr), p.sps)
	}
}

// aggregated returns how many NAL units from i on fit in one STAP-A (0 or 1: none to aggregate).
func (p *H264Payloader) aggregated(i int) int {
	size := h264STAPAOverhead
	n := 0
	for _, nal := range p.nals[i:] {
		size += h264STAPSizeLen + len(nal)
		if size > p.budget {
			break
		}
		n++
	}
	return n
}

// writeSTAPA writes one STAP-A payload. Its NRI is the highest of the units' (RFC 6184 section 5.7.1).
func (p *H264Payloader) writeSTAPA(nals [][]byte) {
	var nri byte
	for _, nal := range nals {
		nri = max(nri, nal[0]&h264NRIMask)
	}
	p.buf = append(p.buf, nri|byte(H264STAPA))
	for _, nal := range nals {
		p.buf = binary.BigEndian.AppendUint16(p.buf, uint16(len(nal)))
		p.buf = append(p.buf, nal...)
	}
	p.ends = append(p.ends, len(p.buf))
}

// writeFUA cuts one NAL unit into FU-A fragments of balanced sizes. The NAL unit header travels in the FU
// indicator (F and NRI) and the FU header (type), not in the fragments' data.
func (p *H264Payloader) writeFUA(nal []byte) {
	indicator := nal[0]&(h264ForbiddenBit|h264NRIMask) | byte(H264FUA)
	typ := nal[0] & h264TypeMask
	data := nal[1:]
	sizes := balancedSplit(len(data), p.budget-h264FUHeaderSize)
	for i := range sizes.count {
		header := typ
		if i == 0 {
			header |= h264FUStart
		}
		if i == sizes.count-1 {
			header |= h264FUEnd
		}
		n := sizes.size(i)
		p.buf = append(p.buf, indicator, header)
		p.buf = append(p.buf, data[:n]...)
		data = data[n:]
		p.ends = append(p.ends, len(p.buf))
	}
}

// forEachAnnexBNAL calls fn with each NAL unit of an Annex B byte stream, without the start codes and the zero
// bytes that may trail a NAL unit. It returns false, without calling fn, when data does not begin with a start
// code (after optional leading zero bytes).
func forEachAnnexBNAL(data []byte, fn func(nal []byte)) bool {
	start := nextStartCode(data, 0)
	if start < 0 || !allZero(data[:start]) {
		return false
	}
	for start < len(data) {
		begin := start + 3
		next := nextStartCode(data, begin)
		end := next
		if next < 0 {
			end, next = len(data), len(data)
		}
		for end > begin && data[end-1] == 0 {
			end--
		}
		fn(data[begin:end])
		start = next
	}
	return true
}

// nextStartCode returns the offset of the next 3-byte start code 00 00 01 at or after from, or -1.
func nextStartCode(data []byte, from int) int {
	for i := from; i+2 < len(data); {
		switch {
		case data[i+2] > 1:
			i += 3
		case data[i+2] == 1 && data[i] == 0 && data[i+1] == 0:
			return i
		default:
			i++
		}
	}
	return -1
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// h264Depacketizer rebuilds H264 access units in Annex B form (a 4-byte start code ahead of each NAL unit), as
// decoders and h264parse take them with stream-format=byte-stream, alignment=au. Like the payloader, it keeps the
// last SPS and PPS and puts them ahead of an IDR that comes without them, so that a decoder started at any keyframe
// can decode it.
type h264Depacketizer struct {
	fuOpen   bool
	nalStart []int // offset in the frame of each NAL unit, after its start code
	sps, pps []byte
	scratch  []byte
}

// startsFrame reports whether the packet begins a NAL unit that can begin an access unit: a parameter set, an
// SEI, a delimiter, or the first slice of a picture. A picture's later slices, which only follow a first one, have
// first_mb_in_slice (the first field of the slice header) above 0; coded as ue(v), 0 is a single 1 bit.
func (*h264Depacketizer) startsFrame(payload []byte) bool {
	var p H264Packet
	if p.Unmarshal(payload) != nil || !p.FragmentStart {
		return false
	}
	var header byte
	var rest []byte
	switch p.Type {
	case H264STAPA:
		unit := payload[h264STAPAOverhead+h264STAPSizeLen:]
		header, rest = unit[0], unit[1:]
	case H264FUA:
		header, rest = payload[1], payload[h264FUHeaderSize:]
	default:
		header, rest = payload[0], payload[1:]
	}
	switch H264NALUnitType(header & h264TypeMask) {
	case H264NALSlice, h264NALPartitionA, H264NALIDR:
		return len(rest) > 0 && rest[0]&0x80 != 0
	case h264NALPartitionB, h264NALPartitionC:
		return false
	default:
		return true
	}
}

func (d *h264Depacketizer) appendPayload(frame, payload []byte, _ bool) ([]byte, error) {
	var p H264Packet
	if err := p.Unmarshal(payload); err != nil {
		return frame, err
	}
	switch {
	case p.Type == H264FUA:
		return d.appendFragment(frame, payload, p.FragmentStart, p.FragmentEnd)
	case d.fuOpen:
		return frame, errFragmentOrder
	case p.Type == H264STAPA:
		units := payload[h264STAPAOverhead:]
		for len(units) > 0 {
			size := int(binary.BigEndian.Uint16(units))
			frame = d.appendNAL(frame, units[h264STAPSizeLen:h264STAPSizeLen+size])
			units = units[h264STAPSizeLen+size:]
		}
		return frame, nil
	default:
		return d.appendNAL(frame, payload), nil
	}
}

func (d *h264Depacketizer) appendNAL(frame, nal []byte) []byte {
	frame = append(frame, annexBStartCode[:]...)
	d.nalStart = append(d.nalStart, len(frame))
	return append(frame, nal...)
}

func (d *h264Depacketizer) appendFragment(frame, payload []byte, start, end bool) ([]byte, error) {
	if start == d.fuOpen {
		return frame, errFragmentOrder
	}
	if start {
		header := payload[0]&(h264ForbiddenBit|h264NRIMask) | payload[1]&h264TypeMask
		frame = d.appendNAL(frame, []byte{header})
	}
	d.fuOpen = !end
	return append(frame, payload[h264FUHeaderSize:]...), nil
}

// finish checks that no fragment is left open, remembers the parameter sets and, when an IDR comes without one of
// them, puts both ahead of the frame. The frame is a keyframe when it holds an IDR slice and SPS and PPS are known.
func (d *h264Depacketizer) finish(frame []byte) ([]byte, bool, error) {
	if d.fuOpen {
		return frame, false, errFragmentUnended
	}
	var hasIDR, hasSPS, hasPPS bool
	for i, start := range d.nalStart {
		end := len(frame)
		if i+1 < len(d.nalStart) {
			end = d.nalStart[i+1] - len(annexBStartCode)
		}
		nal := frame[start:end]
		switch H264NALUnitType(nal[0] & h264TypeMask) {
		case H264NALIDR:
			hasIDR = true
		case H264NALSPS:
			hasSPS = true
			d.sps = append(d.sps[:0], nal...)
		case H264NALPPS:
			hasPPS = true
			d.pps = append(d.pps[:0], nal...)
		}
	}
	if !hasIDR {
		return frame, false, nil
	}
	if hasSPS && hasPPS {
		return frame, true, nil
	}
	if d.sps == nil || d.pps == nil {
		return frame, false, nil
	}
	// The latest of each (the frame's own when it has one), SPS first: decoders parse a PPS against its SPS.
	d.scratch = append(append(d.scratch[:0], annexBStartCode[:]...), d.sps...)
	d.scratch = append(append(d.scratch, annexBStartCode[:]...), d.pps...)
	d.scratch = append(d.scratch, frame...)
	return d.scratch, true, nil
}

func (d *h264Depacketizer) reset() {
	d.fuOpen = false
	d.nalStart = d.nalStart[:0]
}
