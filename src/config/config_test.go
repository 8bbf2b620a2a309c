package config

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

func env(kv map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := kv[name]
		return v, ok
	}
}

func TestLoadDefaultsIsDevMode(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.DevMode || len(c.JWTSecret) != devSecretBytes {
		t.Fatalf("dev mode = %v, secret %d bytes", c.DevMode, len(c.JWTSecret))
	}
	if c.ListenAddr() != "127.0.0.1:8080" || c.AdminAddr != "127.0.0.1:6060" || c.TLS() {
		t.Fatalf("listen %q admin %q tls %v", c.ListenAddr(), c.AdminAddr, c.TLS())
	}
	if c.MediaMode != protocol.ModeMCU || c.RoomMaxSize != 8 || c.ReconnectGrace != 30*time.Second ||
		c.WSMaxMessageBytes != 64<<10 || c.ReconnectWithoutBearer || c.LogFormat != LogFormatText ||
		c.LogLevel != slog.LevelInfo || c.PublicIPv4.IsValid() || !c.ICETCP || c.ICETCPPort != 42042 {
		t.Fatalf("defaults: %+v", c)
	}
	other, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if string(other.JWTSecret) == string(c.JWTSecret) {
		t.Fatal("dev secrets are not random")
	}
}

func TestLoadProduction(t *testing.T) {
	c, err := Load(env(map[string]string{
		"JWT_SECRET": "s3cret-s3cret-s3cret", "PORT_NUMBER": "1443", "MEDIA_MODE": "relay", "ROOM_MAX_SIZE": "4",
		"RECONNECT_GRACE": "5s", "RECONNECT_WITHOUT_BEARER": "true", "WS_MAX_MESSAGE_BYTES": "131072",
		"ADMIN_ADDR": "", "ALLOWED_ORIGINS": "https://App.example.com, http://localhost:3000",
		"TRUSTED_PROXIES": "10.0.0.0/8,192.168.1.1", "LOG_LEVEL": "debug", "CERT_FILE_PATH": "c.pem",
		"KEY_FILE_PATH": "k.pem", "PUBLIC_IPV4": "203.0.113.7",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DevMode || string(c.JWTSecret) != "s3cret-s3cret-s3cret" || c.ListenAddr() != ":1443" || !c.TLS() {
		t.Fatalf("%+v", c)
	}
	if c.MediaMode != protocol.ModeRelay || c.RoomMaxSize != 4 || c.ReconnectGrace != 5*time.Second || !c.ReconnectWithoutBearer ||
		c.WSMaxMessageBytes != 131072 || c.AdminAddr != "" || c.LogFormat != LogFormatJSON || c.LogLevel != slog.LevelDebug {
		t.Fatalf("%+v", c)
	}
	if fmt.Sprint(c.AllowedOrigins) != "[https://app.example.com http://localhost:3000]" {
		t.Fatalf("origins %v", c.AllowedOrigins)
	}
	if fmt.Sprint(c.TrustedProxies) != "[10.0.0.0/8 192.168.1.1/32]" {
		t.Fatalf("proxies %v", c.TrustedProxies)
	}
	if s := fmt.Sprintf("%v %s", c.JWTSecret, c.JWTSecret); strings.Contains(s, "s3cret") {
		t.Fatalf("secret printed: %s", s)
	}
}

func TestLoadRejects(t *testing.T) {
	prod := "JWT_SECRET"
	tests := []struct {
		env      map[string]string
		variable string
	}{
		{map[string]string{prod: "x", "PORT_NUMBER": "65536"}, "PORT_NUMBER"},
		{map[string]string{prod: "x", "PORT_NUMBER": "http"}, "PORT_NUMBER"},
		{map[string]string{prod: "x", "PUBLIC_IPV4": "::1"}, "PUBLIC_IPV4"},
		{map[string]string{prod: "x", "MEDIA_MODE": "sfu"}, "MEDIA_MODE"},
		{map[string]string{prod: "x", "ROOM_MAX_SIZE": "0"}, "ROOM_MAX_SIZE"},
		{map[string]string{prod: "x", "RECONNECT_GRACE": "30"}, "RECONNECT_GRACE"},
		{map[string]string{prod: "x", "RECONNECT_WITHOUT_BEARER": "maybe"}, "RECONNECT_WITHOUT_BEARER"},
		{map[string]string{prod: "x", "WS_MAX_MESSAGE_BYTES": "10"}, "WS_MAX_MESSAGE_BYTES"},
		{map[string]string{prod: "x", "WS_RATE_LIMIT": "-1"}, "WS_RATE_LIMIT"},
		{map[string]string{prod: "x", "ADMIN_ADDR": "6060"}, "ADMIN_ADDR"},
		{map[string]string{prod: "x", "ALLOWED_ORIGINS": "example.com"}, "ALLOWED_ORIGINS"},
		{map[string]string{prod: "x", "TRUSTED_PROXIES": "10.0.0.0/99"}, "TRUSTED_PROXIES"},
		{map[string]string{prod: "x", "LOG_LEVEL": "verbose"}, "LOG_LEVEL"},
		{map[string]string{prod: "x", "LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{prod: "x", "BIND_ADDRESS": "localhost"}, "BIND_ADDRESS"},
		{map[string]string{prod: "x", "CERT_FILE_PATH": "c.pem"}, "CERT_FILE_PATH"},
		{map[string]string{prod: ""}, "JWT_SECRET"},
		{map[string]string{prod: "x", "JWT_PUBLIC_KEY_FILE": "k.pem"}, "JWT_SECRET"},
		{map[string]string{"JWT_PUBLIC_KEY_FILE": ""}, "JWT_PUBLIC_KEY_FILE"},
		// Dev mode refuses production-only settings.
		{map[string]string{"CERT_FILE_PATH": "c.pem", "KEY_FILE_PATH": "k.pem"}, "CERT_FILE_PATH"},
		{map[string]string{"BIND_ADDRESS": "0.0.0.0"}, "BIND_ADDRESS"},
		{map[string]string{"BIND_ADDRESS": ""}, "BIND_ADDRESS"},
		{map[string]string{"ADMIN_ADDR": "0.0.0.0:6060"}, "ADMIN_ADDR"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.1"}, "TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		t.Run(tt.variable, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("err = %v, want one naming %s", err, tt.variable)
			}
		})
	}
}

func TestLoadDevModeAllowsLoopbackBind(t *testing.T) {
	c, err := Load(env(map[string]string{"BIND_ADDRESS": "::1", "ADMIN_ADDR": "localhost:7000"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr() != "127.0.0.1:8080" {
		t.Fatalf("dev mode listens on %q", c.ListenAddr())
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	_, err := Load(env(map[string]string{"JWT_SECRET": "x", "PORT_NUMBER": "-1", "LOG_LEVEL": "loud"}))
	if err == nil || !strings.Contains(err.Error(), "PORT_NUMBER") || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzLoad checks that any value of any variable gives either an error or a configuration within bounds.
func FuzzLoad(f *testing.F) {
	f.Add("PORT_NUMBER", "8080", "ALLOWED_ORIGINS", "https://a.example, *")
	f.Add("TRUSTED_PROXIES", "10.0.0.0/8, ::1", "RECONNECT_GRACE", "1m30s")
	f.Add("JWT_SECRET", "s", "BIND_ADDRESS", "0.0.0.0")
	f.Add("ADMIN_ADDR", "[::1]:0", "LOG_LEVEL", "DEBUG")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		c, err := Load(env(map[string]string{k1: v1, k2: v2}))
		if err != nil {
			return
		}
		if c.Port < 0 || c.Port > 65535 || c.RoomMaxSize < 1 || c.ReconnectGrace < 0 || c.WSMaxMessageBytes < 1<<10 ||
			len(c.JWTSecret) == 0 || (c.DevMode && c.ListenAddr() != fmt.Sprintf("127.0.0.1:%d", c.Port)) {
			t.Fatalf("accepted out-of-bounds configuration %+v", c)
		}
	})
}

func TestLoadAdminTokenAndDrainTimeout(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminToken != nil || c.DrainTimeout != 60*time.Second {
		t.Fatalf("defaults: token set %v, drain %v", c.AdminToken != nil, c.DrainTimeout)
	}
	c, err = Load(env(map[string]string{"ADMIN_TOKEN": "0123456789abcdef", "DRAIN_TIMEOUT": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.AdminToken) != "0123456789abcdef" || c.DrainTimeout != 0 {
		t.Fatalf("token %q, drain %v", c.AdminToken, c.DrainTimeout)
	}
	if s := fmt.Sprintf("%v %s", c.AdminToken, c.AdminToken); strings.Contains(s, "0123") {
		t.Fatalf("token printed: %s", s)
	}
	for variable, value := range map[string]string{
		"ADMIN_TOKEN": "short", "DRAIN_TIMEOUT": "25h",
	} {
		if _, err := Load(env(map[string]string{variable: value})); err == nil || !strings.Contains(err.Error(), variable) {
			t.Errorf("%s=%q: err = %v", variable, value, err)
		}
	}
	for _, bad := range []string{"", " 0123456789abcdef", "0123456789abcdef\n"} {
		if _, err := Load(env(map[string]string{"ADMIN_TOKEN": bad})); err == nil {
			t.Errorf("ADMIN_TOKEN=%q accepted", bad)
		}
	}
}
