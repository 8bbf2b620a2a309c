package rtp_test

import (
	"fmt"

	"github.com/heytribe/live-webrtcsignaling/src/rtp"
	"github.com/heytribe/live-webrtcsignaling/src/rtp/codecs"
)

// The per-packet path of a forwarding media plane: parse in place, read negotiated extensions, detect a keyframe,
// then rewrite the packet for one listener. Nothing here allocates.
func Example_forwarding() {
	// A VP8 key frame start with abs-send-time (publisher id 2) and transport-wide-cc (publisher id 3).
	pkt := []byte{
		0x90, 0x60, 0x12, 0x34, 0x00, 0x00, 0x00, 0x64, 0xde, 0xad, 0xbe, 0xef, // header, X set
		0xbe, 0xde, 0x00, 0x02, 0x22, 0x04, 0x00, 0x00, 0x31, 0x00, 0x07, 0x00, // one-byte extensions
		0x10, 0x90, 0x15, 0x00, 0x9d, 0x01, 0x2a, 0xb0, 0x00, 0x90, 0x00, // VP8 descriptor and key frame header
	}

	var p rtp.Packet
	if err := p.Unmarshal(pkt); err != nil {
		fmt.Println("drop:", err)
		return
	}
	v, _ := p.ExtensionValue(2)
	sendTime, _ := rtp.ParseAbsSendTime(v)
	v, _ = p.ExtensionValue(3)
	twcc, _ := rtp.ParseTransportCC(v)
	fmt.Printf("abs-send-time %#x, transport-cc %d, keyframe %v\n", sendTime, twcc, codecs.VP8StartsKeyframe(p.Payload))

	// Per listener: its SSRC and payload type, and sequence numbers and timestamps that stay continuous when its
	// source changes.
	rw, err := rtp.NewRewriter(0xcafe, 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := rw.Rewrite(pkt); err != nil {
		fmt.Println("drop:", err)
		return
	}
	if err := p.Unmarshal(pkt); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("SSRC %#x, PT %d, seq %#x\n", p.SSRC, p.PayloadType, p.SequenceNumber)
	// Output:
	// abs-send-time 0x40000, transport-cc 7, keyframe true
	// SSRC 0xcafe, PT 100, seq 0x1234
}

// A retransmission: the RTX packet comes back to the original SSRC and payload type the SDP negotiated
// (a=fmtp:97 apt=96 and a=ssrc-group:FID), never to "RTX PT - 1".
func ExampleUnwrapRTX() {
	original := []byte{0x80, 0x60, 0x00, 0x07, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x01, 0xaa, 0xbb}
	rtx, err := rtp.AppendRTX(nil, original, 0x2, 97, 500)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("rtx  %x\n", rtx)
	back, err := rtp.UnwrapRTX(rtx, 0x1, 96) // in place: rtx is consumed
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("back %x\n", back)
	// Output:
	// rtx  806101f4000003e8000000020007aabb
	// back 80600007000003e800000001aabb
}
