package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestLoadMediaReach(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		ipv4       netip.Addr
		interfaces []string
		tcp        bool
		tcpPort    int
	}{
		{"defaults: interfaces, ICE-TCP on", nil, netip.Addr{}, nil, true, 42042},
		{"public address, ICE-TCP off", map[string]string{"PUBLIC_IPV4": " 203.0.113.7 ", "ICE_TCP_PORT": "OFF"},
			netip.MustParseAddr("203.0.113.7"), nil, false, 0},
		{"interfaces, free TCP port", map[string]string{"MEDIA_INTERFACES": "eth0, wlan0", "ICE_TCP_PORT": "0"},
			netip.Addr{}, []string{"eth0", "wlan0"}, true, 0},
		{"empty optional values", map[string]string{"PUBLIC_IPV4": "", "MEDIA_INTERFACES": ""}, netip.Addr{}, nil, true, 42042},
		{"TCP port 443", map[string]string{"ICE_TCP_PORT": "443"}, netip.Addr{}, nil, true, 443},
		{"TCP port follows UDP_PORT", map[string]string{"UDP_PORT": "0"}, netip.Addr{}, nil, true, 0},
		{"TCP port follows UDP_PORT 5000", map[string]string{"UDP_PORT": "5000"}, netip.Addr{}, nil, true, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.PublicIPv4 != tt.ipv4 || !slices.Equal(c.MediaInterfaces, tt.interfaces) || c.ICETCP != tt.tcp ||
				c.ICETCPPort != tt.tcpPort {
				t.Fatalf("ipv4 %v interfaces %q tcp %v port %d", c.PublicIPv4, c.MediaInterfaces, c.ICETCP, c.ICETCPPort)
			}
		})
	}
}

func TestLoadMediaReachRejects(t *testing.T) {
	tests := []struct {
		env      map[string]string
		variable string
	}{
		{map[string]string{"ICE_TCP_PORT": "65536"}, "ICE_TCP_PORT"},
		{map[string]string{"ICE_TCP_PORT": "no"}, "ICE_TCP_PORT"},
		{map[string]string{"PUBLIC_IPV4": "2001:db8::1"}, "PUBLIC_IPV4"},
		{map[string]string{"MEDIA_INTERFACES": "a-name-longer-than-15"}, "MEDIA_INTERFACES"},
		{map[string]string{"MEDIA_INTERFACES": "eth0,eth0"}, "MEDIA_INTERFACES"},
		{map[string]string{"MEDIA_INTERFACES": "eth0", "PUBLIC_IPV4": "203.0.113.7"}, "MEDIA_INTERFACES"},
		{map[string]string{"MEDIA_INTERFACES": "eth0", "PUBLIC_IPV6": "2001:db8::7"}, "MEDIA_INTERFACES"},
	}
	for _, tt := range tests {
		t.Run(tt.variable, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("%v: err = %v, want one naming %s", tt.env, err, tt.variable)
			}
		})
	}
}
