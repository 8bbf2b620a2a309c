package bus

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/defaults"
	amqp "github.com/rabbitmq/amqp091-go"
)

// ExchangeLiveEvents is the exchange of the original server: a durable topic exchange, routing keys = event names.
const ExchangeLiveEvents = "live_events"

// OutboxHardLimitRatio is how many times OutboxLimit the events that are never dropped to make room (room.join,
// room.leave) may reach: DefaultOptions and the server (RABBITMQ_OUTBOX_LIMIT) keep Options.OutboxHardLimit at it.
const OutboxHardLimitRatio = 10

// Options tune an AMQPPublisher. DefaultOptions gives the documented defaults; URL has none.
type Options struct {
	// URL is the broker's amqp:// or amqps:// URL. It holds credentials: it is never logged nor put in an error.
	URL string
	// TLS configures amqps:// connections (NewTLSConfig); nil verifies the broker against the system roots.
	TLS *tls.Config
	// Exchange receives the events; it is declared as a durable topic exchange at each connection.
	Exchange string
	// OutboxLimit is the number of queued events past which the oldest room.live, then the oldest client report,
	// is dropped to make room for a new event.
	OutboxLimit int
	// OutboxHardLimit bounds the outbox's memory: room.join and room.leave may exceed OutboxLimit up to it, and past
	// it they are dropped too (Stats.Lost, logged as errors).
	OutboxHardLimit int
	// Window is the number of events sent and not yet confirmed.
	Window int
	// ConfirmTimeout is how long the oldest unconfirmed event may wait for its confirm before the connection is
	// deemed stuck: it is then closed, and everything unconfirmed is sent again on a new one.
	ConfirmTimeout time.Duration
	// WriteTimeout bounds one write to the broker's socket. The broker throttles a fast publisher by not reading,
	// so it is long; it only unsticks a connection whose peer is gone.
	WriteTimeout time.Duration
	// DialTimeout bounds the TCP connect, the TLS handshake and the AMQP handshake.
	DialTimeout time.Duration
	// Heartbeat is the AMQP heartbeat interval; a broker silent for three of them is deemed gone.
	Heartbeat time.Duration
	// MinBackoff and MaxBackoff bound the delay between connection attempts (exponential, with jitter).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// ConnectionName is shown by the broker's management tools.
	ConnectionName string
}

// DefaultOptions returns the documented defaults (docs/OPERATIONS.md, "Bus").
func DefaultOptions() Options {
	return Options{
		Exchange:        ExchangeLiveEvents,
		OutboxLimit:     defaults.RabbitMQOutboxLimit,
		OutboxHardLimit: OutboxHardLimitRatio * defaults.RabbitMQOutboxLimit,
		Window:          512,
		ConfirmTimeout:  30 * time.Second,
		WriteTimeout:    30 * time.Second,
		DialTimeout:     10 * time.Second,
		Heartbeat:       10 * time.Second,
		MinBackoff:      100 * time.Millisecond,
		MaxBackoff:      30 * time.Second,
		ConnectionName:  "live-webrtcsignaling",
	}
}

// errBadURL never quotes the URL: it holds the password.
var errBadURL = errors.New("bus: the broker URL must be amqp://user:password@host:port/vhost or amqps://... " +
	"(percent-encode reserved characters of the user name and password)")

func (o Options) validate() error {
	if _, err := amqp.ParseURI(o.URL); err != nil {
		return errBadURL
	}
	switch {
	case o.Exchange == "":
		return errors.New("bus: Exchange is required")
	case o.OutboxLimit < 1 || o.OutboxHardLimit < o.OutboxLimit:
		return errors.New("bus: OutboxLimit must be positive and OutboxHardLimit at least OutboxLimit")
	case o.Window < 1:
		return errors.New("bus: Window must be positive")
	case o.ConfirmTimeout <= 0, o.WriteTimeout <= 0, o.DialTimeout <= 0, o.Heartbeat < time.Second:
		return errors.New("bus: ConfirmTimeout, WriteTimeout and DialTimeout must be positive, Heartbeat at least 1s")
	case o.MinBackoff <= 0 || o.MaxBackoff < o.MinBackoff:
		return errors.New("bus: MinBackoff must be positive and MaxBackoff at least MinBackoff")
	}
	return nil
}

// BrokerName returns the URL without its credentials, "amqp://host:port/vhost" (the vhost "/" is written %2F), for
// logs; "" when it does not parse.
func BrokerName(rawURL string) string {
	u, err := amqp.ParseURI(rawURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) + "/" + url.PathEscape(u.Vhost)
}

// NewTLSConfig builds the TLS configuration of amqps:// connections (TLS 1.2 or later). caFile, a PEM bundle,
// replaces the system roots when set; certFile and keyFile, PEM, give a client certificate when both are set.
func NewTLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pemData, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("bus: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("bus: CA file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("bus: a client certificate needs both its certificate and its key file")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("bus: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
