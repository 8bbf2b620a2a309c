package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestLoadMediaTransport(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		port     int
		min, max int
		ipv6     netip.Addr
		timeouts [3]time.Duration
	}{
		{"defaults", nil, 42042, 0, 0, netip.Addr{}, [3]time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second}},
		{"set", map[string]string{"UDP_PORT": "0", "UDP_PORT_RANGE": " 40000 - 40999 ", "PUBLIC_IPV6": "2001:db8::7",
			"ICE_TIMEOUT": "10s", "CONSENT_TIMEOUT": "15s", "DTLS_TIMEOUT": "1m"},
			0, 40000, 40999, netip.MustParseAddr("2001:db8::7"), [3]time.Duration{10 * time.Second, 15 * time.Second, time.Minute}},
		{"empty optional values", map[string]string{"UDP_PORT_RANGE": "", "PUBLIC_IPV6": ""},
			42042, 0, 0, netip.Addr{}, [3]time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second}},
		{"one-port range", map[string]string{"UDP_PORT_RANGE": "5000-5000"},
			42042, 5000, 5000, netip.Addr{}, [3]time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.UDPPort != tt.port || c.UDPPortMin != tt.min || c.UDPPortMax != tt.max || c.PublicIPv6 != tt.ipv6 {
				t.Fatalf("port %d range %d-%d ipv6 %v", c.UDPPort, c.UDPPortMin, c.UDPPortMax, c.PublicIPv6)
			}
			if got := [3]time.Duration{c.ICETimeout, c.ConsentTimeout, c.DTLSTimeout}; got != tt.timeouts {
				t.Fatalf("timeouts %v, want %v", got, tt.timeouts)
			}
		})
	}
}

func TestLoadMediaTransportRejects(t *testing.T) {
	tests := []struct {
		variable, value string
	}{
		{"UDP_PORT", "65536"},
		{"UDP_PORT", "-1"},
		{"UDP_PORT_RANGE", "40000"},
		{"UDP_PORT_RANGE", "40999-40000"},
		{"UDP_PORT_RANGE", "0-10"},
		{"UDP_PORT_RANGE", "1-65536"},
		{"UDP_PORT_RANGE", "a-b"},
		{"PUBLIC_IPV6", "203.0.113.7"},
		{"PUBLIC_IPV6", "::ffff:203.0.113.7"},
		{"PUBLIC_IPV6", "not-an-ip"},
		{"ICE_TIMEOUT", "500ms"},
		{"CONSENT_TIMEOUT", "11m"},
		{"DTLS_TIMEOUT", "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			_, err := Load(env(map[string]string{tt.variable: tt.value}))
			if err == nil || !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("err = %v, want one naming %s", err, tt.variable)
			}
		})
	}
}
