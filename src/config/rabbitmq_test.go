package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestLoadRabbitMQ(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.RabbitMQURL) != 0 || c.RabbitMQOutboxLimit != 10_000 || c.RabbitMQFlushTimeout != 5*time.Second {
		t.Fatalf("defaults: url %d bytes, outbox %d, flush %v", len(c.RabbitMQURL), c.RabbitMQOutboxLimit,
			c.RabbitMQFlushTimeout)
	}
	c, err = Load(env(map[string]string{"RABBITMQ_URL": " amqps://svc:pa55word@mq.example.com:5671/prod ",
		"RABBITMQ_CA_FILE": "ca.pem", "RABBITMQ_CERT_FILE": "c.pem", "RABBITMQ_KEY_FILE": "k.pem",
		"RABBITMQ_OUTBOX_LIMIT": "500", "RABBITMQ_FLUSH_TIMEOUT": "0s"}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.RabbitMQURL) != "amqps://svc:pa55word@mq.example.com:5671/prod" || c.RabbitMQCAFile != "ca.pem" ||
		c.RabbitMQCertFile != "c.pem" || c.RabbitMQKeyFile != "k.pem" || c.RabbitMQOutboxLimit != 500 ||
		c.RabbitMQFlushTimeout != 0 {
		t.Fatalf("%+v", c)
	}
	if s := fmt.Sprintf("%v %+v", c.RabbitMQURL, c); strings.Contains(s, "pa55word") {
		t.Fatalf("password printed: %s", s)
	}
}

func TestLoadRabbitMQRejects(t *testing.T) {
	tests := []struct {
		env      map[string]string
		variable string
	}{
		{map[string]string{"RABBITMQ_URL": "http://u:pa55word@h/"}, "RABBITMQ_URL"},
		{map[string]string{"RABBITMQ_URL": "u:pa55word@h"}, "RABBITMQ_URL"},
		{map[string]string{"RABBITMQ_URL": "amqp://u:pa55word%zz@h/"}, "RABBITMQ_URL"},
		{map[string]string{"RABBITMQ_URL": "amqp://u:pa55word@h:port/"}, "RABBITMQ_URL"},
		{map[string]string{"RABBITMQ_URL": "amqp://u:pa55 word@h/"}, "RABBITMQ_URL"},
		{map[string]string{"RABBITMQ_URL": "amqp:///vhost"}, "RABBITMQ_URL"},
		{map[string]string{"RABBITMQ_URL": "amqp://h/", "RABBITMQ_CA_FILE": "ca.pem"}, "RABBITMQ_CA_FILE"},
		{map[string]string{"RABBITMQ_CA_FILE": "ca.pem"}, "RABBITMQ_CA_FILE"},
		{map[string]string{"RABBITMQ_URL": "amqps://h/", "RABBITMQ_CERT_FILE": "c.pem"}, "RABBITMQ_CERT_FILE"},
		{map[string]string{"RABBITMQ_URL": "amqps://h/", "RABBITMQ_KEY_FILE": "k.pem"}, "RABBITMQ_CERT_FILE"},
		{map[string]string{"RABBITMQ_OUTBOX_LIMIT": "10"}, "RABBITMQ_OUTBOX_LIMIT"},
		{map[string]string{"RABBITMQ_OUTBOX_LIMIT": "lots"}, "RABBITMQ_OUTBOX_LIMIT"},
		{map[string]string{"RABBITMQ_FLUSH_TIMEOUT": "1h"}, "RABBITMQ_FLUSH_TIMEOUT"},
		{map[string]string{"RABBITMQ_FLUSH_TIMEOUT": "-1s"}, "RABBITMQ_FLUSH_TIMEOUT"},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.variable) {
			t.Errorf("%v: err = %v, want one naming %s", tt.env, err, tt.variable)
			continue
		}
		if strings.Contains(err.Error(), "pa55") {
			t.Errorf("%v: the error quotes the password: %v", tt.env, err)
		}
	}
}

// FuzzLoadRabbitMQ: an accepted RABBITMQ_URL is an amqp:// or amqps:// URL that the AMQP client takes (amqps://
// when TLS files are set), and no error quotes a URL with credentials.
func FuzzLoadRabbitMQ(f *testing.F) {
	f.Add("amqp://guest:guest@127.0.0.1:5672/", "")
	f.Add("amqps://u:p%40ss@mq.example.com/prod", "ca.pem")
	f.Add("AMQP://u:pa55 word@h/", "")
	f.Add("amqp://u:pa55word@h:99999999999/", "")
	f.Fuzz(func(t *testing.T, url, caFile string) {
		c, err := Load(env(map[string]string{"RABBITMQ_URL": url, "RABBITMQ_CA_FILE": caFile}))
		trimmed := strings.TrimSpace(url)
		if err != nil {
			if strings.Contains(trimmed, "@") && strings.Contains(err.Error(), trimmed) {
				t.Fatalf("the error quotes the URL: %v", err)
			}
			return
		}
		accepted := strings.ToLower(string(c.RabbitMQURL))
		switch {
		case trimmed == "":
			if accepted != "" {
				t.Fatalf("blank RABBITMQ_URL %q gave %q", url, accepted)
			}
		case !strings.HasPrefix(accepted, "amqp://") && !strings.HasPrefix(accepted, "amqps://"):
			t.Fatalf("accepted %q", url)
		case caFile != "" && !strings.HasPrefix(accepted, "amqps://"):
			t.Fatalf("accepted a CA file with %q", url)
		default:
			if _, err := amqp.ParseURI(string(c.RabbitMQURL)); err != nil {
				t.Fatalf("accepted %q, which the AMQP client refuses: %v", url, err)
			}
		}
	})
}
