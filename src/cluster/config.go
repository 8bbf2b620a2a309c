package cluster

import (
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Config tunes a Node. DefaultConfig gives the documented defaults; URL and NodeID have none.
type Config struct {
	// URL is the broker's amqp:// or amqps:// URL. It holds credentials: it is never logged nor put in an error.
	URL string
	// TLS configures amqps:// connections; nil verifies the broker against the system roots.
	TLS *tls.Config
	// NodeID names this node in the cluster (NODE_ID): 1 to 64 characters among A-Z a-z 0-9 . _ : -. Two running
	// nodes with one id cannot both connect: the second waits, logging why, until the first is gone.
	NodeID string
	// Namespace prefixes every name the cluster uses on the broker ("live": the exchange live.cluster, the queues
	// live.node.<id> and live.room.<room>), so that several clusters can share a broker.
	Namespace string
	// AnnounceInterval is how often the node announces itself and its load.
	AnnounceInterval time.Duration
	// DeadAfter is how many announcement intervals of silence make a node dead.
	DeadAfter int
	// PlacementTimeout bounds the wait for a chosen node's answer to a claim request, and for a room owner's
	// answer to "who owns this room?", before placement falls back to claiming the room itself.
	PlacementTimeout time.Duration
	// RequestTimeout bounds a Request whose context has no deadline.
	RequestTimeout time.Duration
	// Prefetch is how many messages an inbox may hold delivered and not yet handled; it bounds the node's memory
	// per inbox.
	Prefetch int
	// MaxMessageBytes bounds a Message's Body, sent or received.
	MaxMessageBytes int
	// Heartbeat is the AMQP heartbeat interval, in whole seconds. The broker closes the connection of a node
	// silent for three of them (a frozen process, a cut network; measured), and only then releases its rooms: the
	// default makes that the time the other nodes take to declare it dead (DeadAfter announcement intervals).
	Heartbeat time.Duration
	// DialTimeout bounds the TCP connect, the TLS handshake and the AMQP handshake.
	DialTimeout time.Duration
	// WriteTimeout bounds one write to the broker's socket; it unsticks a connection whose peer is gone.
	WriteTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between connection attempts (exponential, with jitter).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// ConnectionName is shown by the broker's management tools, followed by the node id.
	ConnectionName string

	// Load returns this node's load for its announcements; nil announces a zero load. It is called once per
	// announcement, from the node's goroutine, and must be quick.
	Load func() Load
	// Handler receives the messages for this node and for the rooms it owns; nil drops them (counted).
	Handler Handler
	// OnEvent receives the events (nodes up and down, rooms claimed and lost, connection state), in order, on a
	// goroutine of its own; nil ignores them.
	OnEvent func(Event)
}

// DefaultConfig returns the documented defaults (docs/OPERATIONS.md, "Cluster").
func DefaultConfig() Config {
	return Config{
		Namespace:        "live",
		AnnounceInterval: time.Second,
		DeadAfter:        3,
		PlacementTimeout: time.Second,
		RequestTimeout:   5 * time.Second,
		Prefetch:         256,
		MaxMessageBytes:  1 << 20,
		Heartbeat:        time.Second,
		DialTimeout:      10 * time.Second,
		WriteTimeout:     30 * time.Second,
		MinBackoff:       100 * time.Millisecond,
		MaxBackoff:       10 * time.Second,
		ConnectionName:   "live-webrtcsignaling cluster",
	}
}

// errBadURL never quotes the URL: it holds the password.
var errBadURL = errors.New("cluster: the broker URL must be amqp://user:password@host:port/vhost or amqps://... " +
	"(percent-encode reserved characters of the user name and password)")

func (c Config) validate() error {
	if _, err := amqp.ParseURI(c.URL); err != nil {
		return errBadURL
	}
	switch {
	case !ValidNodeID(c.NodeID):
		return errBadNodeID
	case !plainName(c.Namespace, MaxNamespaceBytes):
		return errBadNamespace
	case c.AnnounceInterval < minAnnounceInterval || c.AnnounceInterval > maxAnnounceInterval:
		return errors.New("cluster: AnnounceInterval must be within 10ms and 1m")
	case c.DeadAfter < 2:
		return errors.New("cluster: DeadAfter must be at least 2 (one lost announcement must not kill a node)")
	case c.PlacementTimeout <= 0 || c.RequestTimeout <= 0:
		return errors.New("cluster: PlacementTimeout and RequestTimeout must be positive")
	case c.Prefetch < 1 || c.Prefetch > 65535:
		return errors.New("cluster: Prefetch must be within 1 and 65535")
	case c.MaxMessageBytes < 1:
		return errors.New("cluster: MaxMessageBytes must be positive")
	case c.Heartbeat < time.Second:
		return errors.New("cluster: Heartbeat must be at least 1s")
	case c.DialTimeout <= 0 || c.WriteTimeout <= 0:
		return errors.New("cluster: DialTimeout and WriteTimeout must be positive")
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return errors.New("cluster: MinBackoff must be positive and MaxBackoff at least MinBackoff")
	}
	return nil
}

// brokerName returns the URL without its credentials, for logs.
func brokerName(rawURL string) string {
	u, err := amqp.ParseURI(rawURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) + "/" + url.PathEscape(u.Vhost)
}
