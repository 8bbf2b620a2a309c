package main

import (
	"bytes"
	"net"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/config"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

func TestHealthzURL(t *testing.T) {
	tests := []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{Port: 8080}, "http://127.0.0.1:8080/healthz"},
		{config.Config{Port: 8080, BindAddress: "0.0.0.0"}, "http://127.0.0.1:8080/healthz"},
		{config.Config{Port: 8080, BindAddress: "::"}, "http://[::1]:8080/healthz"},
		{config.Config{Port: 1443, BindAddress: "10.1.2.3", CertFile: "c", KeyFile: "k"}, "https://10.1.2.3:1443/healthz"},
		{config.Config{Port: 1443, BindAddress: "fd00::7"}, "http://[fd00::7]:1443/healthz"},
	}
	for _, tt := range tests {
		if got := healthzURL(&tt.cfg); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.cfg, got, tt.want)
		}
	}
}

func TestHealthcheckCommand(t *testing.T) {
	s := launch(t, map[string]string{"PORT_NUMBER": "0", "ADMIN_ADDR": "", "UDP_PORT": "0", "DRAIN_TIMEOUT": "1m"},
		&syncBuffer{})
	_, port, err := net.SplitHostPort(s.addrs.public)
	if err != nil {
		t.Fatal(err)
	}
	env := func(name string) (string, bool) {
		if name == "PORT_NUMBER" {
			return port, true
		}
		return "", false
	}
	var out bytes.Buffer
	if code := healthcheck(env, &out); code != 0 {
		t.Fatalf("healthy server: exit %d, %s", code, out.String())
	}
	// While the server drains (a call holds it), the check fails: the container is no longer healthy.
	c := dialWS(t, s.addrs.public)
	c.join(t, s.addrs.public, "r1", "alice")
	s.stop()
	testkit.WaitFor(t, testkit.Patient, "the healthcheck to fail while draining", func() bool {
		return healthcheck(env, &out) != 0
	})
	c.send(t, "leave", nil)
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := healthcheck(env, &out); code != 1 || out.Len() == 0 {
		t.Fatalf("stopped server: exit %d, %q", code, out.String())
	}
	bad := func(name string) (string, bool) { return "not a number", name == "PORT_NUMBER" }
	if code := healthcheck(bad, &out); code != 1 {
		t.Fatalf("bad configuration: exit %d", code)
	}
}
