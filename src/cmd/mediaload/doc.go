// Command mediaload loads a running live-webrtcsignaling server in MCU mode with synthetic WebRTC clients and
// measures its forwarding: the latency from a publisher's packet reaching the server to its copy leaving for a
// listener (p50, p99), and the server's CPU per forwarded stream.
//
// Each room gets -publishers publishing participants and -listeners receive-only ones; the server forwards every
// publisher's audio and video to every other participant of the room: rooms x publishers x (publishers - 1 +
// listeners) forwarded streams (the defaults: 10 rooms of 1 publisher and 5 listeners, 50 streams). The clients
// speak the real protocol (docs/API.md) and the real media stack, made of the project's own parts: a websocket
// joins and exchanges SDP (src/sdp), a UDP socket per peer runs ICE checks (src/stun), a DTLS client handshake
// (cgo/dtls) and SRTP (cgo/srtp). A publisher sends Opus-sized audio every 20 ms and VP8-shaped video frames
// (-video-bitrate, -fps; a keyframe when the server asks, and every 2 s), its video packets paced at -pacing
// times the bit rate as Chromium paces them (0: each frame in one burst, the server's worst case); listeners
// decrypt what they receive and, as browsers do (-transport-cc, on by default), negotiate transport-wide
// congestion control and send its feedback every 50 ms (src/congestion's FeedbackRecorder), so that the server
// stamps, paces and estimates as it does for browsers; -transport-cc=false leaves the header extension out, as
// before, and the server then paces at the highest video bitrate without stamping.
//
// How latency is measured, two ways. From outside: every payload ends with a stamp (publisher, packet id); the
// publisher notes the time just before each send, and the listener's socket has kernel receive timestamps
// (SO_TIMESTAMPNS), taken when the server's send delivers the packet on loopback. Their difference is the
// server's receive-to-send time plus one loopback send, which the tool measures alone first (the baseline) and
// subtracts. From inside, given the admin listener (-admin, -admin-token): the server's own histogram
// live_webrtcsignaling_forward_latency_seconds, read from /metrics before and after the window (its buckets are
// powers of two, so its quantiles are bucket bounds). The server measures from its read of the publisher's
// datagram off its socket to the write of each copy on the listener's socket, so the time the datagram waited in
// the kernel's receive queue before that read is in the outside measure only. The CPU figures come from
// /proc/<pid>/task/*/schedstat of the server (-pid) and of the tool: time on a CPU, and time spent waiting for
// one, which on a shared machine says how much of the latency is the machine's.
//
// Example, in a loopback-only network namespace (`make load-media` does this):
//
//	JWT_SECRET=s ADMIN_TOKEN=admin-token-0123456789 MEDIA_MODE=mcu PORT_NUMBER=18080 BIND_ADDRESS=127.0.0.1 \
//	    ADMIN_ADDR=127.0.0.1:16060 PUBLIC_IPV4=127.0.0.1 LOG_LEVEL=warn bin/live-webrtcsignaling &
//	bin/mediaload -url http://127.0.0.1:18080 -secret s -pid $! -admin http://127.0.0.1:16060 \
//	    -admin-token admin-token-0123456789 -duration 30s
//
// With -tcp every client connects over ICE-TCP instead: a TCP connection to the server's passive TCP candidate
// carries its checks, DTLS and SRTP in RFC 4571 frames, as a browser whose UDP is blocked does; the figures then
// compare the server's CPU per forwarded packet over TCP against UDP. TCP gives no kernel timestamp per packet,
// so a listener stamps arrivals when it reads them, which adds its own scheduling to the outside latency.
//
// A run lasts at most 10 minutes (-warmup + -duration), the span of a publisher's record of send times.
package main
