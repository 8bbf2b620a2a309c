package main

import (
	"encoding/binary"
	"sync/atomic"
)

// A stamp ends the payload of every packet a synthetic publisher sends: a magic number, the publisher's index and
// the packet's id. The listener that receives the packet finds, with them, when the publisher sent it.
const (
	stampMagic = 0x4d4c4431 // "MLD1"
	stampSize  = 12
)

// appendStamp appends the stamp of packet id of publisher to b.
func appendStamp(b []byte, publisher, id uint32) []byte {
	b = binary.BigEndian.AppendUint32(b, stampMagic)
	b = binary.BigEndian.AppendUint32(b, publisher)
	return binary.BigEndian.AppendUint32(b, id)
}

// readStamp reads the stamp at the end of payload; false when there is none.
func readStamp(payload []byte) (publisher, id uint32, ok bool) {
	if len(payload) < stampSize {
		return 0, 0, false
	}
	s := payload[len(payload)-stampSize:]
	if binary.BigEndian.Uint32(s) != stampMagic {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(s[4:]), binary.BigEndian.Uint32(s[8:]), true
}

// sendClockSize is how many send times a publisher remembers: at about 170 packets a second, more than 12 minutes,
// longer than any run (parseFlags bounds the run), so a listener never reads the time of another packet.
const sendClockSize = 1 << 17

// sendClock remembers when a publisher sent each packet, by packet id. The publisher writes, listeners read.
type sendClock struct {
	times []atomic.Int64 // Unix nanoseconds, 0 when unknown
}

func newSendClock() *sendClock {
	return &sendClock{times: make([]atomic.Int64, sendClockSize)}
}

func (c *sendClock) set(id uint32, unixNano int64) { c.times[id%sendClockSize].Store(unixNano) }

// get returns when packet id was sent, false when unknown.
func (c *sendClock) get(id uint32) (int64, bool) {
	t := c.times[id%sendClockSize].Load()
	return t, t != 0
}
