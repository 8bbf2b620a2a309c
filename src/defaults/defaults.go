// Package defaults is the table of the server's default settings: the value each environment variable of
// docs/OPERATIONS.md takes when it is not set, written once. Package config reads the environment over these
// values; the packages that take such a setting (signaling, bus, webrtc, media) fall back to the same value when
// their caller leaves the field zero, so that a Server or a Plane built directly, in a test or a tool, behaves as
// the server does.
//
// It imports nothing of the project but package protocol, and any package may import it:
//
//	o := signaling.DefaultOptions() // RoomMaxSize: defaults.RoomMaxSize, ...
//	if cfg.MinVideoBitrate == 0 {
//		cfg.MinVideoBitrate = defaults.MinVideoBitrate
//	}
//
// Settings that no variable changes (queue lengths, heartbeats, retry delays) stay with the package they tune.
package defaults

import (
	"log/slog"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// The listeners.
const (
	Port         = 8080             // PORT_NUMBER
	AdminAddress = "127.0.0.1:6060" // ADMIN_ADDR
	LogLevel     = slog.LevelInfo   // LOG_LEVEL
)

// The media plane.
const (
	UDPPort         = 42042            // UDP_PORT
	ICETimeout      = 30 * time.Second // ICE_TIMEOUT
	ConsentTimeout  = 30 * time.Second // CONSENT_TIMEOUT
	DTLSTimeout     = 30 * time.Second // DTLS_TIMEOUT
	MinVideoBitrate = 100_000          // MIN_VIDEO_BITRATE, bit/s
	MaxVideoBitrate = 2_500_000        // MAX_VIDEO_BITRATE, bit/s
	TransportCC     = true             // TRANSPORT_CC: transport-wide congestion control with browsers that offer it
)

// Transcoding (MCU mode). The tiers are those measured in docs/OPERATIONS.md (Transcoding): the whole ladder for
// one publisher costs about 0.2 core; 12 encoders are about half a core at 480x360, a third of the 2-core build
// machine with the forwarding left to run.
const (
	Transcode            = true                                               // TRANSCODE
	TranscodeTiers       = "640x480@30:1200k,480x360@25:600k,320x240@15:250k" // TRANSCODE_TIERS
	TranscodeMaxEncoders = 12                                                 // TRANSCODE_MAX_ENCODERS
	TranscodeH264Encoder = "x264"                                             // TRANSCODE_H264_ENCODER
)

// VideoCodecs is VIDEO_CODECS: the video codecs accepted from publishers, best first; also every codec the media
// plane can negotiate. It returns a new slice at each call.
func VideoCodecs() []string { return []string{"vp8", "h264", "vp9", "av1"} }

// The signaling server.
const (
	MediaMode         = protocol.ModeMCU // MEDIA_MODE
	RoomMaxSize       = 8                // ROOM_MAX_SIZE
	ReconnectGrace    = 30 * time.Second // RECONNECT_GRACE
	WSMaxMessageBytes = 64 << 10         // WS_MAX_MESSAGE_BYTES
	WSRateLimit       = 100              // WS_RATE_LIMIT, messages/s
	WSRateBurst       = 200              // WS_RATE_BURST
	DrainTimeout      = 60 * time.Second // DRAIN_TIMEOUT
)

// The signaling server's limits against hostile clients (docs/OPERATIONS.md, "Limits").
const (
	WSSendQueueBytes   = 1 << 20          // WS_SEND_QUEUE_BYTES, per connection
	WSReplayBytes      = 512 << 10        // WS_REPLAY_BYTES, per away participant
	WSQueuedBytesTotal = 256 << 20        // WS_QUEUED_BYTES_TOTAL, the whole process
	WSUserRateLimit    = 200              // WS_USER_RATE_LIMIT, messages/s of all of one user's websockets
	WSUserRateBurst    = 400              // WS_USER_RATE_BURST
	WSJoinTimeout      = 10 * time.Second // WS_JOIN_TIMEOUT
	WSUnauthPerAddress = 64               // WS_UNAUTH_PER_ADDRESS
	WSUnauthTotal      = 10_000           // WS_UNAUTH_TOTAL
	WSSocketsPerUser   = 8                // WS_SOCKETS_PER_USER
)

// The bus.
const (
	RabbitMQOutboxLimit  = 10_000          // RABBITMQ_OUTBOX_LIMIT
	RabbitMQFlushTimeout = 5 * time.Second // RABBITMQ_FLUSH_TIMEOUT
)

// The cluster (docs/OPERATIONS.md, "Cluster"). NODE_ID has no constant: it defaults to the host's name.
const (
	Cluster                 = false            // CLUSTER
	ClusterNamespace        = "live"           // CLUSTER_NAMESPACE
	ClusterAnnounceInterval = time.Second      // CLUSTER_ANNOUNCE_INTERVAL
	ClusterDeadAfter        = 3                // CLUSTER_DEAD_AFTER, announcement intervals
	ClusterRoomReleaseAfter = 30 * time.Second // CLUSTER_ROOM_RELEASE_AFTER
)
