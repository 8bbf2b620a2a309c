package media

import (
	"encoding/binary"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/congestion"
	"github.com/heytribe/live-webrtcsignaling/src/rtp"
)

// A downlink paces what its session sends (webrtc.Pacing): the session's writer goroutine calls these methods. Every
// packet leaves at the pacer's pace, and is stamped as it leaves: abs-send-time for the receiver's own estimator
// (REMB), and, when the receiver negotiated transport-cc, the transport-wide sequence number that its feedback
// reports about, numbered by the downlink's congestion.SendSide with the packet's send time. Probes are padding on
// the RTX stream (without RTX, on the video stream between frames), numbered the same way, sent when the SendSide
// plans a cluster.

// Sizes of a padding probe: the RTP header, a one-byte extension block with abs-send-time and the transport-wide
// number (4 + 4 + 3, padded to 12), and at most 255 bytes of padding (its length is one byte).
const (
	probeHeaderSize = rtp.FixedHeaderSize + 12
	maxProbePadding = 255
)

// Class: audio first, retransmissions before new video.
func (dl *downlink) Class(pkt []byte) congestion.Class {
	switch binary.BigEndian.Uint32(pkt[8:12]) {
	case dl.audioSSRC:
		return congestion.ClassAudio
	case dl.rtxSSRC:
		return congestion.ClassRetransmission
	}
	return congestion.ClassVideo
}

// Bitrate is the receiver's estimate: the transport-wide one (its current value even before feedback: the start
// bitrate, which the initial probes correct), else its fresh REMB, else the highest video bitrate, unpaced in
// effect.
func (dl *downlink) Bitrate(now time.Time) uint64 {
	at := onClock(now)
	if ss := dl.sendSide.Load(); ss != nil {
		bps, _ := ss.Bitrate(at)
		return bps
	}
	if bps, ok := dl.estimate.Bitrate(at); ok {
		return bps
	}
	return dl.fwd.maxBitrate
}

// Sending stamps a packet as it leaves: abs-send-time, and the transport-wide sequence number when negotiated.
func (dl *downlink) Sending(pkt []byte, now time.Time) {
	f := dl.feed.Load()
	if f == nil {
		return
	}
	ext := f.extensionsOf(binary.BigEndian.Uint32(pkt[8:12]))
	if ext == nil {
		return
	}
	var h rtp.Header
	if _, err := h.Unmarshal(pkt); err != nil {
		return
	}
	at := onClock(now)
	if v, ok := h.ExtensionValue(ext.absSendTime); ok && ext.absSendTime != 0 {
		_ = rtp.PutAbsSendTime(v, rtp.AbsSendTime(at))
	}
	ss := dl.sendSide.Load()
	if v, ok := h.ExtensionValue(ext.transportCC); ok && ext.transportCC != 0 && ss != nil {
		_ = rtp.PutTransportCC(v, ss.OnSent(len(pkt), at))
	}
}

// padRetry is how soon a probe packet that had to wait for the end of a frame is tried again: the rest of a frame
// follows its first packets within a few milliseconds.
const padRetry = 2 * time.Millisecond

// Probe builds the padding packet of a planned probe cluster: on the RTX stream, so that the receiver's video
// sequence numbers are not touched, or, for a receiver without RTX, on the video stream between two frames (as
// libwebrtc pads without RTX), numbered in sequence with the video. A receiver without transport-cc is not probed.
func (dl *downlink) Probe(buf []byte, now time.Time) (int, time.Time) {
	ss := dl.sendSide.Load()
	f := dl.feed.Load()
	if ss == nil || f == nil || f.video == nil || f.video.ext.transportCC == 0 {
		return 0, time.Time{}
	}
	size, wake := ss.ProbeBytes(onClock(now))
	if size == 0 {
		if wake == 0 {
			return 0, time.Time{}
		}
		return 0, wallTime(wake)
	}
	if n := f.video.appendPadding(buf, size); n > 0 {
		return n, now
	}
	return 0, now.Add(padRetry)
}

// Dropped counts a packet refused by the full pacer.
func (dl *downlink) Dropped() { dl.fwd.counters.pacerDrops.Add(1) }

// extensionsOf returns the extension ids of the downtrack that sends ssrc, nil for none.
func (f *feed) extensionsOf(ssrc uint32) *extensionMap {
	dl := f.downlink
	switch {
	case ssrc == dl.audioSSRC && f.audio != nil:
		return f.audio.ext
	case (ssrc == dl.videoSSRC || ssrc == dl.rtxSSRC) && f.video != nil:
		return f.video.ext
	}
	return nil
}

// appendPadding writes into buf a padding-only packet of about size bytes (within what one padding length byte
// allows), on the RTX stream when negotiated, else on the video stream (padProbes), with room for abs-send-time and
// the transport-wide number, which Sending fills; it returns its length, 0 when buf is too small or the video
// stream is inside a frame.
func (d *downtrack) appendPadding(buf []byte, size int) int {
	padding := min(max(size-probeHeaderSize, 1), maxProbePadding)
	n := probeHeaderSize + padding
	if len(buf) < n || d.rtxPayloadType == 0 && !d.padProbes {
		return 0
	}
	ssrc, pt, seq, ts := d.rtxSSRC, d.rtxPayloadType, uint16(0), uint32(0)
	if d.rtxPayloadType != 0 {
		seq = uint16(d.downlink.rtxSeq.Add(1))
	} else {
		var ok bool
		if seq, ts, ok = d.padSequence(); !ok {
			return 0
		}
		ssrc, pt = d.ssrc, d.payloadType
	}
	buf[0] = 0x80 | 0x20 | 0x10 // version 2, padding, extension
	buf[1] = pt
	binary.BigEndian.PutUint16(buf[2:], seq)
	binary.BigEndian.PutUint32(buf[4:], ts)
	binary.BigEndian.PutUint32(buf[8:], ssrc)
	e := buf[rtp.FixedHeaderSize:probeHeaderSize]
	binary.BigEndian.PutUint16(e, rtp.ProfileOneByte)
	binary.BigEndian.PutUint16(e[2:], 2)
	clear(e[4:])
	i := 4
	if d.ext.absSendTime != 0 {
		e[i] = d.ext.absSendTime<<4 | (absSendTimeLen - 1)
		i += 1 + absSendTimeLen
	}
	e[i] = d.ext.transportCC<<4 | (transportCCLen - 1)
	clear(buf[probeHeaderSize:n])
	buf[n-1] = byte(padding)
	return n
}

// requestProbe asks the receiver's estimator to probe for target bit/s before an up-switch to a stream of that
// bitrate: the policy then waits for SendSide.LastProbe, with a deadline. false: the receiver did not negotiate
// transport-cc, or the estimator declined (see congestion.SendSide.RequestProbe).
func (dl *downlink) requestProbe(target uint64, now time.Duration) bool {
	ss := dl.sendSide.Load()
	return ss != nil && ss.RequestProbe(target, now)
}
