package webrtc

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/defaults"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// DefaultWriteQueue is the write queue of a Session, in packets: about 0.2 s of a 5 Mbit/s video.
const DefaultWriteQueue = 128

// Config configures an Engine. Every field has a default: without public addresses, the candidates are the host's
// interfaces' (see package transport).
type Config struct {
	// Transport configures the sockets (UDP_PORT or UDP_PORT_RANGE, PUBLIC_IPV4, PUBLIC_IPV6, MEDIA_INTERFACES,
	// ICE_TCP_PORT).
	Transport transport.Config
	// Certificate is the process's DTLS certificate; nil makes a new one.
	Certificate *dtls.Certificate
	// ICETimeout, ConsentTimeout and DTLSTimeout: see the package documentation; 0 means defaults.ICETimeout,
	// defaults.ConsentTimeout and defaults.DTLSTimeout (ICE_TIMEOUT, CONSENT_TIMEOUT, DTLS_TIMEOUT).
	ICETimeout, ConsentTimeout, DTLSTimeout time.Duration
	// WriteQueue is the default write queue of a Session, in packets; 0 means DefaultWriteQueue.
	WriteQueue int
	// Logger is the parent of every session's logger; nil means slog.Default().
	Logger *slog.Logger
}

func (c *Config) applyDefaults() error {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ICETimeout", &c.ICETimeout, defaults.ICETimeout},
		{"ConsentTimeout", &c.ConsentTimeout, defaults.ConsentTimeout},
		{"DTLSTimeout", &c.DTLSTimeout, defaults.DTLSTimeout},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 10*time.Millisecond || *d.v > time.Hour {
			return fmt.Errorf("%w: %s %v, want 10ms to 1h", ErrBadConfig, d.name, *d.v)
		}
	}
	if c.WriteQueue == 0 {
		c.WriteQueue = DefaultWriteQueue
	}
	if c.WriteQueue < 1 || c.WriteQueue > 1<<16 {
		return fmt.Errorf("%w: WriteQueue %d, want 1 to 65536", ErrBadConfig, c.WriteQueue)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Transport.Logger == nil {
		c.Transport.Logger = c.Logger
	}
	return nil
}
