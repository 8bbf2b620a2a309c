package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/config"
)

// eventBus is where signaling publishes room events: the AMQP publisher, or nowhere when RABBITMQ_URL is unset.
type eventBus struct {
	amqp *bus.AMQPPublisher
	cfg  *config.Config
}

// newEventBus builds the publisher of live_events from the configuration. It does not wait for the broker.
func newEventBus(cfg *config.Config, logger *slog.Logger) (*eventBus, error) {
	if len(cfg.RabbitMQURL) == 0 {
		logger.Info("bus disabled: RABBITMQ_URL is not set, room events are not published")
		return &eventBus{cfg: cfg}, nil
	}
	opts := bus.DefaultOptions()
	opts.URL = string(cfg.RabbitMQURL)
	opts.OutboxLimit = cfg.RabbitMQOutboxLimit
	opts.OutboxHardLimit = bus.OutboxHardLimitRatio * cfg.RabbitMQOutboxLimit
	// Used for amqps:// only.
	tlsConfig, err := bus.NewTLSConfig(cfg.RabbitMQCAFile, cfg.RabbitMQCertFile, cfg.RabbitMQKeyFile)
	if err != nil {
		return nil, fmt.Errorf("RABBITMQ_CA_FILE/RABBITMQ_CERT_FILE/RABBITMQ_KEY_FILE: %w", err)
	}
	opts.TLS = tlsConfig
	p, err := bus.NewAMQPPublisherWith(opts, logger)
	if err != nil {
		return nil, fmt.Errorf("RABBITMQ_URL: %w", err)
	}
	logger.Info("bus: publishing room events", "broker", bus.BrokerName(opts.URL), "exchange", opts.Exchange)
	return &eventBus{amqp: p, cfg: cfg}, nil
}

func (b *eventBus) publisher() bus.Publisher {
	if b.amqp == nil {
		return bus.Discard{}
	}
	return b.amqp
}

// close delivers the queued events within RABBITMQ_FLUSH_TIMEOUT, then disconnects. Calling it again is harmless.
func (b *eventBus) close() error {
	if b.amqp == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.RabbitMQFlushTimeout)
	defer cancel()
	return b.amqp.Shutdown(ctx)
}
