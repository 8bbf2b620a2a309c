package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/config"
)

// healthcheckTimeout bounds the probe: a server that cannot answer /healthz that fast is not healthy.
const healthcheckTimeout = 3 * time.Second

// healthcheck probes the server running with the same environment, as the container's HEALTHCHECK does
// (`live-webrtcsignaling healthcheck`): GET /healthz on its own listener, exit status 0 on 200, 1 otherwise (also
// while draining: /healthz then answers 503). The image needs no curl for it.
func healthcheck(lookup config.Lookup, out io.Writer) int {
	cfg, err := config.Load(lookup)
	if err != nil {
		_, _ = fmt.Fprintln(out, "healthcheck:", err)
		return 1
	}
	url := healthzURL(cfg)
	client := &http.Client{Timeout: healthcheckTimeout, Transport: &http.Transport{
		// The probe goes to this host's own listener, whose certificate names the public host: what is checked is
		// that the server answers, not who it is.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	resp, err := client.Get(url)
	if err != nil {
		_, _ = fmt.Fprintln(out, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode != http.StatusOK {
		_, _ = fmt.Fprintf(out, "healthcheck: %s: %d %s", url, resp.StatusCode, body)
		return 1
	}
	return 0
}

// healthzURL is the address of /healthz as seen from the server's own host: the bind address, or loopback when
// the server listens on every interface.
func healthzURL(cfg *config.Config) string {
	host := "127.0.0.1"
	if a, err := netip.ParseAddr(cfg.BindAddress); err == nil && !a.IsUnspecified() {
		host = a.String()
	} else if err == nil && a.Is6() {
		host = "::1"
	}
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(cfg.Port)) + "/healthz"
}
