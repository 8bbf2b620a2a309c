package config

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/defaults"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// Log formats.
const (
	LogFormatJSON = "json"
	LogFormatText = "text"
)

// devSecretBytes is the size of the random HMAC secret generated in dev mode.
const devSecretBytes = 32

// minAdminTokenBytes keeps ADMIN_TOKEN out of guessing range.
const minAdminTokenBytes = 16

// Secret is key material that never prints: fmt and slog show it as "[redacted]".
type Secret []byte

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Config is the whole configuration of the server. Load builds it; its fields are read-only afterwards.
type Config struct {
	// Port is PORT_NUMBER, the public listener's TCP port (0: any free port, for tests).
	Port int
	// BindAddress is BIND_ADDRESS, the public listener's IP ("" = every interface; 127.0.0.1 in dev mode).
	BindAddress string
	// CertFile and KeyFile are CERT_FILE_PATH and KEY_FILE_PATH: TLS (wss) when both are set.
	CertFile string
	KeyFile  string
	// PublicIPv4 and PublicIPv6 are PUBLIC_IPV4 and PUBLIC_IPV6: when either is set (behind a 1:1 NAT, say), the
	// media plane advertises exactly these addresses in its candidates; when neither is, it advertises the
	// addresses of the host's usable interfaces (MediaInterfaces).
	PublicIPv4, PublicIPv6 netip.Addr
	// MediaInterfaces is MEDIA_INTERFACES: the interfaces whose addresses the media plane advertises when no
	// public address is set; empty means every usable interface.
	MediaInterfaces []string
	// ICETCP is on unless ICE_TCP_PORT is "off": the media plane also takes ICE over TCP, on ICETCPPort, for
	// browsers whose UDP is blocked.
	ICETCP bool
	// ICETCPPort is ICE_TCP_PORT, the one TCP port of every media session (0: any free port, for tests); unset, the
	// number of UDPPort.
	ICETCPPort int
	// UDPPort is UDP_PORT, the one UDP port of every media session (0: any free port, for tests).
	UDPPort int
	// UDPPortMin and UDPPortMax are UDP_PORT_RANGE ("min-max"): when set (UDPPortMax > 0) every media session gets
	// its own port of the range instead of sharing UDPPort.
	UDPPortMin, UDPPortMax int
	// ICETimeout is ICE_TIMEOUT: a media session without a valid connectivity check that long after its creation
	// fails (ice-timeout).
	ICETimeout time.Duration
	// ConsentTimeout is CONSENT_TIMEOUT: a media session without a valid check from its peer that long fails
	// (consent-expired, RFC 7675).
	ConsentTimeout time.Duration
	// DTLSTimeout is DTLS_TIMEOUT: the DTLS handshake of a media session must complete that long after its first
	// valid check (dtls-timeout).
	DTLSTimeout time.Duration
	// VideoCodecs is VIDEO_CODECS: the video codecs the media plane accepts from publishers, best first (lower case,
	// among defaults.VideoCodecs()).
	VideoCodecs []string
	// MinVideoBitrate and MaxVideoBitrate are MIN_VIDEO_BITRATE and MAX_VIDEO_BITRATE, in bit/s: the bounds of the
	// bandwidth estimate (REMB) the media plane sends publishers.
	MinVideoBitrate, MaxVideoBitrate int
	// TransportCC is TRANSPORT_CC: the media plane negotiates transport-wide congestion control (the
	// transport-wide sequence number extension and transport-cc feedback) with the browsers that offer it, and
	// keeps REMB for the others. Off, every session uses REMB.
	TransportCC bool
	// Transcode is TRANSCODE: the media plane transcodes publishers' video into tiers for the receivers whose
	// link or decoder cannot take the publisher's own stream; off, it forwards only.
	Transcode bool
	// TranscodeTiers is TRANSCODE_TIERS, the ladder as transcode.ParseTiers reads it (checked there, at startup).
	TranscodeTiers string
	// TranscodeMaxEncoders is TRANSCODE_MAX_ENCODERS, the most encoders the process runs.
	TranscodeMaxEncoders int
	// TranscodeH264Encoder is TRANSCODE_H264_ENCODER: x264 or openh264.
	TranscodeH264Encoder string

	// JWTSecret is JWT_SECRET (HMAC). In dev mode it is generated at random.
	JWTSecret Secret
	// JWTPublicKeyFile is JWT_PUBLIC_KEY_FILE (RS256 or ES256 PEM public key).
	JWTPublicKeyFile string
	// DevMode is on exactly when neither JWT_SECRET nor JWT_PUBLIC_KEY_FILE is set.
	DevMode bool

	// MediaMode is MEDIA_MODE: protocol.ModeMCU or protocol.ModeRelay.
	MediaMode string
	// RoomMaxSize is ROOM_MAX_SIZE, the number of participants a room takes.
	RoomMaxSize int
	// ReconnectGrace is RECONNECT_GRACE: how long a dropped participant keeps its place.
	ReconnectGrace time.Duration
	// ReconnectWithoutBearer is RECONNECT_WITHOUT_BEARER: accept reconnect with a socketId alone (legacy clients).
	ReconnectWithoutBearer bool

	// WSMaxMessageBytes is WS_MAX_MESSAGE_BYTES, the largest websocket message accepted.
	WSMaxMessageBytes int
	// WSRateLimit and WSRateBurst are WS_RATE_LIMIT (messages/s) and WS_RATE_BURST, per connection.
	WSRateLimit float64
	WSRateBurst int
	// WSSendQueueBytes is WS_SEND_QUEUE_BYTES, the bytes queued for one websocket before it is dropped as slow;
	// WSReplayBytes is WS_REPLAY_BYTES, the bytes kept for an away participant; WSQueuedBytesTotal is
	// WS_QUEUED_BYTES_TOTAL, the bytes queued and kept for replay in the whole process.
	WSSendQueueBytes, WSReplayBytes, WSQueuedBytesTotal int
	// WSUserRateLimit and WSUserRateBurst are WS_USER_RATE_LIMIT (messages/s) and WS_USER_RATE_BURST, shared by
	// the websockets of one user.
	WSUserRateLimit float64
	WSUserRateBurst int
	// WSJoinTimeout is WS_JOIN_TIMEOUT: a websocket that has not joined (or reconnected) by then is closed.
	WSJoinTimeout time.Duration
	// WSUnauthPerAddress and WSUnauthTotal are WS_UNAUTH_PER_ADDRESS and WS_UNAUTH_TOTAL, the websockets not yet
	// joined from one client address and in all; WSSocketsPerUser is WS_SOCKETS_PER_USER, the joined websockets of
	// one user.
	WSUnauthPerAddress, WSUnauthTotal, WSSocketsPerUser int
	// AllowedOrigins is ALLOWED_ORIGINS: origins accepted for the websocket upgrade besides the server's own.
	// "*" accepts any origin.
	AllowedOrigins []string
	// TrustedProxies is TRUSTED_PROXIES: peers whose X-Real-Ip / X-Forwarded-For headers are believed.
	TrustedProxies []netip.Prefix

	// AdminAddr is ADMIN_ADDR, the admin listener ("" disables it).
	AdminAddr string
	// AdminToken is ADMIN_TOKEN: when set, every admin endpoint requires "Authorization: Bearer <token>".
	AdminToken Secret

	// RabbitMQURL is RABBITMQ_URL, the broker of the live_events bus (amqp:// or amqps://); unset or empty, no
	// event is published. It holds the broker's password, so it never prints.
	RabbitMQURL Secret
	// RabbitMQCAFile is RABBITMQ_CA_FILE (PEM roots replacing the system's), RabbitMQCertFile and RabbitMQKeyFile
	// are RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE (PEM client certificate): amqps:// only.
	RabbitMQCAFile, RabbitMQCertFile, RabbitMQKeyFile string
	// RabbitMQOutboxLimit is RABBITMQ_OUTBOX_LIMIT, the events queued for the broker past which room.live, then
	// client reports, are dropped; room.join and room.leave may reach ten times as many.
	RabbitMQOutboxLimit int
	// RabbitMQFlushTimeout is RABBITMQ_FLUSH_TIMEOUT: how long a shutdown waits for the queued events' delivery.
	RabbitMQFlushTimeout time.Duration
	// Cluster is CLUSTER: this node is one of several coordinated through the broker of RabbitMQURL (required
	// then). NodeID is NODE_ID (default: the host's name), ClusterNamespace CLUSTER_NAMESPACE, the prefix of the
	// cluster's names on the broker; ClusterAnnounceInterval and ClusterDeadAfter are CLUSTER_ANNOUNCE_INTERVAL
	// and CLUSTER_DEAD_AFTER (a node silent that many intervals is dead); ClusterRoomReleaseAfter is
	// CLUSTER_ROOM_RELEASE_AFTER, how long an owned room stays empty before its ownership is given up.
	Cluster                 bool
	NodeID                  string
	ClusterNamespace        string
	ClusterAnnounceInterval time.Duration
	ClusterDeadAfter        int
	ClusterRoomReleaseAfter time.Duration
	// DrainTimeout is DRAIN_TIMEOUT: after SIGTERM, how long calls in progress may go on before they are ended.
	DrainTimeout time.Duration

	// LogLevel and LogFormat are LOG_LEVEL and LOG_FORMAT.
	LogLevel  slog.Level
	LogFormat string
}

// Lookup reads one environment variable; os.LookupEnv fits.
type Lookup func(name string) (string, bool)

// Load reads and validates the configuration. Errors name the variable at fault.
func Load(lookup Lookup) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{
		Port:                   r.intIn("PORT_NUMBER", defaults.Port, 0, 65535),
		CertFile:               r.str("CERT_FILE_PATH", ""),
		KeyFile:                r.str("KEY_FILE_PATH", ""),
		PublicIPv4:             r.ipv4("PUBLIC_IPV4"),
		PublicIPv6:             r.ipv6("PUBLIC_IPV6"),
		MediaInterfaces:        r.interfaces("MEDIA_INTERFACES"),
		UDPPort:                r.intIn("UDP_PORT", defaults.UDPPort, 0, 65535),
		ICETimeout:             r.duration("ICE_TIMEOUT", defaults.ICETimeout, time.Second, 10*time.Minute),
		ConsentTimeout:         r.duration("CONSENT_TIMEOUT", defaults.ConsentTimeout, time.Second, 10*time.Minute),
		DTLSTimeout:            r.duration("DTLS_TIMEOUT", defaults.DTLSTimeout, time.Second, 10*time.Minute),
		VideoCodecs:            r.videoCodecs("VIDEO_CODECS"),
		MinVideoBitrate:        r.intIn("MIN_VIDEO_BITRATE", defaults.MinVideoBitrate, 10_000, 100_000_000),
		MaxVideoBitrate:        r.intIn("MAX_VIDEO_BITRATE", defaults.MaxVideoBitrate, 10_000, 100_000_000),
		TransportCC:            r.boolean("TRANSPORT_CC", defaults.TransportCC),
		Transcode:              r.boolean("TRANSCODE", defaults.Transcode),
		TranscodeTiers:         r.str("TRANSCODE_TIERS", defaults.TranscodeTiers),
		TranscodeMaxEncoders:   r.intIn("TRANSCODE_MAX_ENCODERS", defaults.TranscodeMaxEncoders, 1, 1000),
		TranscodeH264Encoder:   r.oneOf("TRANSCODE_H264_ENCODER", defaults.TranscodeH264Encoder, "x264", "openh264"),
		JWTPublicKeyFile:       r.str("JWT_PUBLIC_KEY_FILE", ""),
		MediaMode:              r.oneOf("MEDIA_MODE", defaults.MediaMode, protocol.ModeMCU, protocol.ModeRelay),
		RoomMaxSize:            r.intIn("ROOM_MAX_SIZE", defaults.RoomMaxSize, 1, 1000),
		ReconnectGrace:         r.duration("RECONNECT_GRACE", defaults.ReconnectGrace, 0, time.Hour),
		ReconnectWithoutBearer: r.boolean("RECONNECT_WITHOUT_BEARER", false),
		WSMaxMessageBytes:      r.intIn("WS_MAX_MESSAGE_BYTES", defaults.WSMaxMessageBytes, 1<<10, 16<<20),
		WSRateLimit:            float64(r.intIn("WS_RATE_LIMIT", defaults.WSRateLimit, 1, 1_000_000)),
		WSRateBurst:            r.intIn("WS_RATE_BURST", defaults.WSRateBurst, 1, 1_000_000),
		WSSendQueueBytes:       r.intIn("WS_SEND_QUEUE_BYTES", defaults.WSSendQueueBytes, 64<<10, 1<<30),
		WSReplayBytes:          r.intIn("WS_REPLAY_BYTES", defaults.WSReplayBytes, 32<<10, 1<<30),
		WSQueuedBytesTotal:     r.intIn("WS_QUEUED_BYTES_TOTAL", defaults.WSQueuedBytesTotal, 1<<20, 1<<40),
		WSUserRateLimit:        float64(r.intIn("WS_USER_RATE_LIMIT", defaults.WSUserRateLimit, 1, 1_000_000)),
		WSUserRateBurst:        r.intIn("WS_USER_RATE_BURST", defaults.WSUserRateBurst, 1, 1_000_000),
		WSJoinTimeout:          r.duration("WS_JOIN_TIMEOUT", defaults.WSJoinTimeout, time.Second, time.Hour),
		WSUnauthPerAddress:     r.intIn("WS_UNAUTH_PER_ADDRESS", defaults.WSUnauthPerAddress, 1, 1_000_000),
		WSUnauthTotal:          r.intIn("WS_UNAUTH_TOTAL", defaults.WSUnauthTotal, 1, 10_000_000),
		WSSocketsPerUser:       r.intIn("WS_SOCKETS_PER_USER", defaults.WSSocketsPerUser, 1, 1_000_000),
		AllowedOrigins:         r.origins("ALLOWED_ORIGINS"),
		TrustedProxies:         r.prefixes("TRUSTED_PROXIES"),
		AdminAddr:              r.hostPort("ADMIN_ADDR", defaults.AdminAddress),
		AdminToken:             r.token("ADMIN_TOKEN", minAdminTokenBytes),
		DrainTimeout:           r.duration("DRAIN_TIMEOUT", defaults.DrainTimeout, 0, 24*time.Hour),
		LogLevel:               r.level("LOG_LEVEL", defaults.LogLevel),
	}
	c.UDPPortMin, c.UDPPortMax = r.portRange("UDP_PORT_RANGE")
	// The TCP port follows the UDP one unless set: UDP_PORT=0 (tests) also picks a free TCP port.
	c.ICETCP, c.ICETCPPort = r.portOrOff("ICE_TCP_PORT", c.UDPPort)
	if len(c.MediaInterfaces) > 0 && (c.PublicIPv4.IsValid() || c.PublicIPv6.IsValid()) {
		r.fail("MEDIA_INTERFACES", "is set with PUBLIC_IPV4 or PUBLIC_IPV6: the public addresses are advertised alone, "+
			"unset one or the other")
	}
	if c.MinVideoBitrate > c.MaxVideoBitrate {
		r.fail("MIN_VIDEO_BITRATE", fmt.Sprintf("(%d) must not exceed MAX_VIDEO_BITRATE (%d)", c.MinVideoBitrate,
			c.MaxVideoBitrate))
	}
	r.checkQueueBytes(c)
	secret, secretSet := lookup("JWT_SECRET")
	_, keySet := lookup("JWT_PUBLIC_KEY_FILE")
	bind, bindSet := lookup("BIND_ADDRESS")
	c.DevMode = !secretSet && !keySet
	switch {
	case secretSet && keySet:
		r.fail("JWT_SECRET", "and JWT_PUBLIC_KEY_FILE are both set: set only one")
	case secretSet && secret == "":
		r.fail("JWT_SECRET", "is set but empty")
	case keySet && c.JWTPublicKeyFile == "":
		r.fail("JWT_PUBLIC_KEY_FILE", "is set but empty")
	case secretSet:
		c.JWTSecret = Secret(secret)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		r.fail("CERT_FILE_PATH", "and KEY_FILE_PATH must be set together")
	}
	if bindSet && bind != "" {
		if _, err := netip.ParseAddr(bind); err != nil {
			r.fail("BIND_ADDRESS", fmt.Sprintf("%q is not an IP address", bind))
		}
	}
	c.BindAddress = bind
	c.LogFormat = r.oneOf("LOG_FORMAT", defaultLogFormat(c.DevMode), LogFormatJSON, LogFormatText)
	r.rabbitMQ(c)
	r.cluster(c)
	if c.DevMode {
		r.checkDevMode(c, bindSet)
	}
	if err := errors.Join(r.errs...); err != nil {
		return nil, err
	}
	if c.DevMode {
		secret := make([]byte, devSecretBytes)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("config: dev mode secret: %w", err)
		}
		c.JWTSecret = secret
		c.BindAddress = "127.0.0.1"
	}
	return c, nil
}

func defaultLogFormat(dev bool) string {
	if dev {
		return LogFormatText
	}
	return LogFormatJSON
}

// rabbitMQ reads the RABBITMQ_* variables. No error quotes the URL: it holds the password.
func (r *reader) rabbitMQ(c *Config) {
	c.RabbitMQOutboxLimit = r.intIn("RABBITMQ_OUTBOX_LIMIT", defaults.RabbitMQOutboxLimit, 100, 10_000_000)
	c.RabbitMQFlushTimeout = r.duration("RABBITMQ_FLUSH_TIMEOUT", defaults.RabbitMQFlushTimeout, 0, 5*time.Minute)
	c.RabbitMQCAFile = r.str("RABBITMQ_CA_FILE", "")
	c.RabbitMQCertFile = r.str("RABBITMQ_CERT_FILE", "")
	c.RabbitMQKeyFile = r.str("RABBITMQ_KEY_FILE", "")
	if (c.RabbitMQCertFile == "") != (c.RabbitMQKeyFile == "") {
		r.fail("RABBITMQ_CERT_FILE", "and RABBITMQ_KEY_FILE must be set together")
	}
	tlsFiles := c.RabbitMQCAFile != "" || c.RabbitMQCertFile != "" || c.RabbitMQKeyFile != ""
	raw := strings.TrimSpace(r.str("RABBITMQ_URL", ""))
	if raw == "" {
		if tlsFiles {
			r.fail("RABBITMQ_CA_FILE", "RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE are set without RABBITMQ_URL")
		}
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\n"):
		r.fail("RABBITMQ_URL", "is not a valid URL (percent-encode reserved characters of the user name and password)")
	case u.Scheme != "amqp" && u.Scheme != "amqps":
		r.fail("RABBITMQ_URL", "must start with amqp:// or amqps://")
	case u.Hostname() == "":
		r.fail("RABBITMQ_URL", "has no host")
	case !validPort(u.Port()):
		r.fail("RABBITMQ_URL", "has an invalid port")
	case u.Scheme == "amqp" && tlsFiles:
		r.fail("RABBITMQ_CA_FILE", "RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE need an amqps:// RABBITMQ_URL")
	default:
		c.RabbitMQURL = Secret(raw)
	}
}

// cluster reads CLUSTER and the settings of a cluster node; they are read (and checked) whether CLUSTER is on or
// not, so that a typo shows before the day the cluster is turned on.
func (r *reader) cluster(c *Config) {
	c.Cluster = r.boolean("CLUSTER", defaults.Cluster)
	c.NodeID = r.nodeID("NODE_ID", c.Cluster)
	c.ClusterNamespace = r.str("CLUSTER_NAMESPACE", defaults.ClusterNamespace)
	if !clusterName(c.ClusterNamespace, maxClusterNameBytes) {
		r.fail("CLUSTER_NAMESPACE", "must be 1 to 64 characters among A-Z a-z 0-9 . _ : -")
	}
	c.ClusterAnnounceInterval = r.duration("CLUSTER_ANNOUNCE_INTERVAL", defaults.ClusterAnnounceInterval,
		100*time.Millisecond, time.Minute)
	c.ClusterDeadAfter = r.intIn("CLUSTER_DEAD_AFTER", defaults.ClusterDeadAfter, 2, 100)
	c.ClusterRoomReleaseAfter = r.duration("CLUSTER_ROOM_RELEASE_AFTER", defaults.ClusterRoomReleaseAfter,
		time.Second, 24*time.Hour)
	if c.Cluster && len(c.RabbitMQURL) == 0 {
		r.fail("CLUSTER", "is on without RABBITMQ_URL: the nodes of a cluster coordinate through RabbitMQ")
	}
}

// maxClusterNameBytes bounds NODE_ID and CLUSTER_NAMESPACE, as package cluster does (MaxNodeIDBytes).
const maxClusterNameBytes = 64

// nodeID reads NODE_ID, the host's name when unset. A host's name unfit for a node id is an error only when the
// cluster is on: a single node does not use it.
func (r *reader) nodeID(name string, on bool) string {
	v, ok := r.lookup(name)
	if !ok {
		host, err := os.Hostname()
		if err != nil || !clusterName(host, maxClusterNameBytes) {
			if on {
				r.fail(name, fmt.Sprintf("is not set and the host's name (%q) cannot name a node", host))
			}
			return ""
		}
		return host
	}
	if !clusterName(v, maxClusterNameBytes) {
		r.fail(name, fmt.Sprintf("must be 1 to 64 characters among A-Z a-z 0-9 . _ : -, got %q", v))
		return ""
	}
	return v
}

// clusterName reports whether s is 1 to maxBytes characters among A-Z a-z 0-9 . _ : -: the names package cluster
// puts on the broker as they are (cluster.ValidNodeID; a test of package main checks the two agree).
func clusterName(s string, maxBytes int) bool {
	if s == "" || len(s) > maxBytes {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' ||
			c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// validPort reports whether a URL's port is empty (the scheme's default) or a TCP port number.
func validPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n <= 65535
}

// checkDevMode refuses the settings that only make sense in production: dev mode must never be reachable from
// another machine, nor be mistaken for a secure deployment.
func (r *reader) checkDevMode(c *Config, bindSet bool) {
	const hint = "is set but no JWT key is configured (dev mode, insecure): set JWT_SECRET or JWT_PUBLIC_KEY_FILE for production"
	if c.CertFile != "" || c.KeyFile != "" {
		r.fail("CERT_FILE_PATH", hint)
	}
	if bindSet && !isLoopback(c.BindAddress) {
		r.fail("BIND_ADDRESS", hint+" (dev mode binds 127.0.0.1 only)")
	}
	if c.AdminAddr != "" {
		host, _, err := net.SplitHostPort(c.AdminAddr)
		if err == nil && !isLoopback(host) {
			r.fail("ADMIN_ADDR", hint+" (dev mode allows a loopback admin address only)")
		}
	}
	if len(c.TrustedProxies) > 0 {
		r.fail("TRUSTED_PROXIES", hint)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// ListenAddr is the public listener's address.
func (c *Config) ListenAddr() string {
	return net.JoinHostPort(c.BindAddress, strconv.Itoa(c.Port))
}

// TLS reports whether the public listener serves TLS.
func (c *Config) TLS() bool { return c.CertFile != "" && c.KeyFile != "" }

// reader collects every error, so one start names every bad variable at once.
type reader struct {
	lookup Lookup
	errs   []error
}

// checkQueueBytes: a relayed message of WS_MAX_MESSAGE_BYTES must fit in an empty send queue and in an empty
// replay buffer, and a replay must fit in the send queue of the reconnecting websocket.
func (r *reader) checkQueueBytes(c *Config) {
	if c.WSReplayBytes < 2*c.WSMaxMessageBytes {
		r.fail("WS_REPLAY_BYTES", fmt.Sprintf("(%d) must be at least twice WS_MAX_MESSAGE_BYTES (%d)",
			c.WSReplayBytes, c.WSMaxMessageBytes))
	}
	if c.WSSendQueueBytes <= c.WSReplayBytes {
		r.fail("WS_SEND_QUEUE_BYTES", fmt.Sprintf("(%d) must exceed WS_REPLAY_BYTES (%d)", c.WSSendQueueBytes,
			c.WSReplayBytes))
	}
	if c.WSQueuedBytesTotal < c.WSSendQueueBytes {
		r.fail("WS_QUEUED_BYTES_TOTAL", fmt.Sprintf("(%d) must be at least WS_SEND_QUEUE_BYTES (%d)",
			c.WSQueuedBytesTotal, c.WSSendQueueBytes))
	}
}

func (r *reader) fail(name, msg string) {
	r.errs = append(r.errs, fmt.Errorf("config: %s %s", name, msg))
}

func (r *reader) str(name, def string) string {
	if v, ok := r.lookup(name); ok {
		return v
	}
	return def
}

func (r *reader) intIn(name string, def, lo, hi int) int {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("must be an integer from %d to %d, got %q", lo, hi, v))
		return def
	}
	return n
}

func (r *reader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < lo || d > hi {
		r.fail(name, fmt.Sprintf("must be a duration from %v to %v such as 30s, got %q", lo, hi, v))
		return def
	}
	return d
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on":
		return true
	case "off":
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(name, fmt.Sprintf("must be true or false (or on, off), got %q", v))
		return def
	}
	return b
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	v = strings.ToLower(strings.TrimSpace(v))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), v))
	return def
}

// ipv4 reads an optional IPv4 address: unset or empty gives the zero Addr.
func (r *reader) ipv4(name string) netip.Addr {
	v := strings.TrimSpace(r.str(name, ""))
	if v == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		r.fail(name, fmt.Sprintf("must be an IPv4 address or empty, got %q", v))
		return netip.Addr{}
	}
	return a
}

// interfaces reads a comma-separated list of network interface names (Linux: 1 to 15 bytes, no "/", no space).
func (r *reader) interfaces(name string) []string {
	var out []string
	for _, i := range splitList(r.str(name, "")) {
		if len(i) > 15 || strings.ContainsAny(i, "/: \t") || slices.Contains(out, i) {
			r.fail(name, fmt.Sprintf("entries must be interface names such as eth0, each once, got %q", i))
			continue
		}
		out = append(out, i)
	}
	return out
}

// portOrOff reads a TCP port that "off" turns off: unset gives def, 0 any free port.
func (r *reader) portOrOff(name string, def int) (on bool, port int) {
	v, ok := r.lookup(name)
	if !ok {
		return true, def
	}
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "off") {
		return false, 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		r.fail(name, fmt.Sprintf("must be a port from 0 to 65535, or off, got %q", v))
		return true, def
	}
	return true, n
}

// ipv6 reads an optional IPv6 address: unset or empty gives the zero Addr.
func (r *reader) ipv6(name string) netip.Addr {
	v := strings.TrimSpace(r.str(name, ""))
	if v == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is6() || a.Is4In6() {
		r.fail(name, fmt.Sprintf("must be an IPv6 address or empty, got %q", v))
		return netip.Addr{}
	}
	return a
}

// videoCodecs reads a comma-separated list of video codec names, at least one, each known (among
// defaults.VideoCodecs) and listed once.
func (r *reader) videoCodecs(name string) []string {
	known := defaults.VideoCodecs()
	v, ok := r.lookup(name)
	if !ok {
		return known
	}
	var out []string
	for _, codec := range splitList(strings.ToLower(v)) {
		switch {
		case !slices.Contains(known, codec):
			r.fail(name, fmt.Sprintf("lists %q: the known codecs are %s", codec, strings.Join(known, ", ")))
		case slices.Contains(out, codec):
			r.fail(name, fmt.Sprintf("lists %q twice", codec))
		default:
			out = append(out, codec)
		}
	}
	if len(out) == 0 {
		r.fail(name, fmt.Sprintf("must list at least one of %s, got %q", strings.Join(known, ", "), v))
	}
	return out
}

// portRange reads an optional "min-max" range of UDP ports: unset or empty gives 0, 0.
func (r *reader) portRange(name string) (lo, hi int) {
	v := strings.TrimSpace(r.str(name, ""))
	if v == "" {
		return 0, 0
	}
	a, b, ok := strings.Cut(v, "-")
	lo, errLo := strconv.Atoi(strings.TrimSpace(a))
	hi, errHi := strconv.Atoi(strings.TrimSpace(b))
	if !ok || errLo != nil || errHi != nil || lo < 1 || lo > hi || hi > 65535 {
		r.fail(name, fmt.Sprintf("must be min-max with 1 <= min <= max <= 65535, such as 40000-40999, got %q", v))
		return 0, 0
	}
	return lo, hi
}

func (r *reader) hostPort(name, def string) string {
	v := strings.TrimSpace(r.str(name, def))
	if v == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be host:port or empty, got %q", v))
		return ""
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		r.fail(name, fmt.Sprintf("has an invalid port in %q", v))
		return ""
	}
	return v
}

// token reads an optional secret of at least minBytes bytes; set but empty is an error, as for JWT_SECRET.
func (r *reader) token(name string, minBytes int) Secret {
	v, ok := r.lookup(name)
	if !ok {
		return nil
	}
	if len(v) < minBytes || strings.TrimSpace(v) != v {
		r.fail(name, fmt.Sprintf("must be at least %d characters without surrounding spaces", minBytes))
		return nil
	}
	return Secret(v)
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	var l slog.Level
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		r.fail(name, fmt.Sprintf("must be one of debug, info, warn, error, got %q", v))
		return def
	}
	return l
}

func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (r *reader) origins(name string) []string {
	var out []string
	for _, o := range splitList(r.str(name, "")) {
		if o == "*" {
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || u.User != nil {
			r.fail(name, fmt.Sprintf("entries must be origins such as https://app.example.com or *, got %q", o))
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}

func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range splitList(r.str(name, "")) {
		if !strings.Contains(p, "/") {
			a, err := netip.ParseAddr(p)
			if err != nil {
				r.fail(name, fmt.Sprintf("entries must be CIDR prefixes or addresses, got %q", p))
				continue
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			r.fail(name, fmt.Sprintf("entries must be CIDR prefixes or addresses, got %q", p))
			continue
		}
		out = append(out, pre.Masked())
	}
	return out
}
