package media

import (
	"encoding/binary"
	"errors"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp/negotiate"
)

// Limits of the one-byte header extension form (RFC 8285 section 4.2), the only form sent to listeners.
const (
	maxOneByteID    = 14
	maxOneByteValue = 16
	absSendTimeLen  = 3
	transportCCLen  = 2
	// extensionGrowth is the most bytes copyPacket adds to a packet: an extension block header, an abs-send-time
	// element, a transport-wide sequence number element, and padding.
	extensionGrowth = 4 + 1 + absSendTimeLen + 1 + transportCCLen + 3
)

var errPacketTooLarge = errors.New("media: packet larger than the send buffer")

// extensionMap says how a publisher's RTP header extensions reach one listener: each publisher id maps to the id
// the listener negotiated for the same URI, or to 0 when the element is dropped (an extension the listener did not
// negotiate, or one whose value is about the publisher's own session, like sdes:mid). abs-send-time and the
// transport-wide sequence number are never copied: their elements are written afresh and stamped as the packet
// leaves (downlink.Sending), so that the listener's estimator, or the server's, sees the server's pacing.
type extensionMap struct {
	ids         [256]uint8
	absSendTime uint8
	transportCC uint8
}

// newExtensionMap maps the publisher's extension ids (by URI) onto those the listener negotiated. Listener ids
// outside the one-byte form are ignored.
func newExtensionMap(publisher map[string]uint16, listener []sdp.ExtMap) *extensionMap {
	m := &extensionMap{}
	for _, e := range listener {
		if e.ID == 0 || e.ID > maxOneByteID {
			continue
		}
		switch e.URI {
		case negotiate.ExtAbsSendTime:
			m.absSendTime = uint8(e.ID)
			continue
		case negotiate.ExtTransportCC:
			m.transportCC = uint8(e.ID)
			continue
		}
		if from, ok := publisher[e.URI]; ok && from != 0 && from <= 255 {
			m.ids[from] = uint8(e.ID)
		}
	}
	return m
}

// copyPacket writes into dst the RTP packet pkt, whose header h was parsed with its payload at payloadOffset, with
// the listener's header extensions in the one-byte form: the mapped elements, then abs-send-time set to absTime
// when the listener negotiated it. It returns the length written; dst must have room for len(pkt)+extensionGrowth.
// Sequence number, timestamp, SSRC and payload type are left for the Rewriter.
func (m *extensionMap) copyPacket(dst, pkt []byte, h *rtp.Header, payloadOffset int, absTime uint32) (int, error) {
	if len(dst) < len(pkt)+extensionGrowth {
		return 0, errPacketTooLarge
	}
	fixed := rtp.FixedHeaderSize + 4*int(h.CSRCCount)
	copy(dst, pkt[:fixed])
	dst[0] &^= 0x10
	blockStart := fixed
	n := blockStart + 4
	for id, value := range h.Extensions() {
		to := m.ids[id]
		if to == 0 || len(value) == 0 || len(value) > maxOneByteValue {
			continue
		}
		dst[n] = to<<4 | byte(len(value)-1)
		n += 1 + copy(dst[n+1:], value)
	}
	if m.absSendTime != 0 {
		dst[n] = m.absSendTime<<4 | (absSendTimeLen - 1)
		dst[n+1], dst[n+2], dst[n+3] = byte(absTime>>16), byte(absTime>>8), byte(absTime)
		n += 1 + absSendTimeLen
	}
	if m.transportCC != 0 {
		dst[n] = m.transportCC<<4 | (transportCCLen - 1)
		dst[n+1], dst[n+2] = 0, 0
		n += 1 + transportCCLen
	}
	if n == blockStart+4 {
		n = blockStart
	} else {
		for (n-blockStart)%4 != 0 {
			dst[n] = 0
			n++
		}
		binary.BigEndian.PutUint16(dst[blockStart:], rtp.ProfileOneByte)
		binary.BigEndian.PutUint16(dst[blockStart+2:], uint16((n-blockStart-4)/4))
		dst[0] |= 0x10
	}
	n += copy(dst[n:], pkt[payloadOffset:])
	return n, nil
}

// stampAbsSendTime rewrites the abs-send-time element of a packet built by copyPacket (a retransmission leaving
// now). It does nothing when the listener did not negotiate abs-send-time.
func (m *extensionMap) stampAbsSendTime(pkt []byte, absTime uint32) {
	if m.absSendTime == 0 {
		return
	}
	var h rtp.Header
	if _, err := h.Unmarshal(pkt); err != nil {
		return
	}
	if v, ok := h.ExtensionValue(m.absSendTime); ok {
		_ = rtp.PutAbsSendTime(v, absTime&(1<<24-1))
	}
}
