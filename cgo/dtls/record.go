package dtls

import "encoding/binary"

// DTLS 1.2 record layer (RFC 6347 section 4.1): a 13-byte header (type, version, epoch, 48-bit sequence number,
// length) before each record's body.
const (
	recordHeaderLen = 13
	// maxCiphertextLen is the longest body a record may announce (RFC 5246 6.2.3: 2^14 + 2048).
	maxCiphertextLen = maxRecordSize + 2048
	maxSequence      = 1<<48 - 1
	versionDTLS12    = 0xfefd
)

// Content types and alerts (RFC 5246 6.2.1 and 7.2).
const (
	contentTypeAlert     = 21
	contentTypeHandshake = 22
	alertLevelFatal      = 2
	alertUserCanceled    = 90
)

// recordHeader is the header of one DTLS record.
type recordHeader struct {
	contentType byte
	version     uint16
	epoch       uint16
	seq         uint64
	length      int
}

// parseRecordHeader reads the record at the start of b. ok is false when b is shorter than a header, or than the
// body the header announces.
func parseRecordHeader(b []byte) (h recordHeader, ok bool) {
	if len(b) < recordHeaderLen {
		return recordHeader{}, false
	}
	h = recordHeader{
		contentType: b[0],
		version:     binary.BigEndian.Uint16(b[1:3]),
		epoch:       binary.BigEndian.Uint16(b[3:5]),
		seq:         uint64(binary.BigEndian.Uint16(b[5:7]))<<32 | uint64(binary.BigEndian.Uint32(b[7:11])),
		length:      int(binary.BigEndian.Uint16(b[11:13])),
	}
	return h, len(b)-recordHeaderLen >= h.length
}

// appendRecord appends a record with header h and the given body; h.length is taken from body.
func appendRecord(b []byte, h recordHeader, body []byte) []byte {
	b = append(b, h.contentType)
	b = binary.BigEndian.AppendUint16(b, h.version)
	b = binary.BigEndian.AppendUint16(b, h.epoch)
	b = binary.BigEndian.AppendUint16(b, uint16(h.seq>>32))
	b = binary.BigEndian.AppendUint32(b, uint32(h.seq))
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

// authenticable returns the records of datagram that may authenticate once the handshake is complete: whole
// records of DTLS 1.2, at least minCiphertext bytes long (the cipher's explicit nonce and tag) and no longer than
// RFC 5246 allows. (Records of epoch 0 cannot authenticate either, but OpenSSL ignores them once connected.) It
// returns datagram itself when every record passes, and an empty slice when none does; dropped counts the records
// left out, a partial one at the end included.
//
// Why: RFC 6347 4.1.2.7 wants invalid records discarded, and OpenSSL 3.0 discards most of them, but it fails the
// association with an internal_error alert for an epoch-1 record too short for its AEAD nonce and tag
// (ssl3_record.c, tls1_enc: EVP_CTRL_AEAD_TLS1_AAD refuses it and SSLfatal follows). Such a record is
// unauthenticated, so anyone who can spoof the peer's address could end the session. Records OpenSSL would
// discard by their header alone (another version, an oversized length) go too: OpenSSL skips only their header
// and parses their body as the next record, so a short record hidden there would reach it.
func authenticable(datagram []byte, minCiphertext int) (records []byte, dropped int) {
	var kept []byte // nil while every record so far passes
	for rest := datagram; len(rest) > 0; {
		h, ok := parseRecordHeader(rest)
		if !ok {
			// A partial record: OpenSSL would drop it and whatever follows.
			if kept == nil {
				kept = append(make([]byte, 0, len(datagram)), datagram[:len(datagram)-len(rest)]...)
			}
			dropped++
			break
		}
		n := recordHeaderLen + h.length
		pass := h.version == versionDTLS12 && h.length >= minCiphertext && h.length <= maxCiphertextLen
		if !pass {
			dropped++
		}
		switch {
		case !pass && kept == nil:
			kept = append(make([]byte, 0, len(datagram)), datagram[:len(datagram)-len(rest)]...)
		case pass && kept != nil:
			kept = append(kept, rest[:n]...)
		}
		rest = rest[n:]
	}
	if kept == nil {
		return datagram, 0
	}
	return kept, dropped
}
