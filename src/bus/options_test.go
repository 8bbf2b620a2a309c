package bus

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestOptionsValidate(t *testing.T) {
	valid := DefaultOptions()
	valid.URL = "amqp://guest:guest@127.0.0.1:5672/"
	if err := valid.validate(); err != nil {
		t.Fatalf("defaults with a URL: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Options)
	}{
		{"no URL", func(o *Options) { o.URL = "" }},
		{"http URL", func(o *Options) { o.URL = "http://h/" }},
		{"bad escape", func(o *Options) { o.URL = "amqp://user:p%zzsecret@h/" }},
		{"no exchange", func(o *Options) { o.Exchange = "" }},
		{"no outbox", func(o *Options) { o.OutboxLimit = 0 }},
		{"hard limit under the limit", func(o *Options) { o.OutboxHardLimit = o.OutboxLimit - 1 }},
		{"no window", func(o *Options) { o.Window = 0 }},
		{"no confirm timeout", func(o *Options) { o.ConfirmTimeout = 0 }},
		{"no write timeout", func(o *Options) { o.WriteTimeout = 0 }},
		{"no dial timeout", func(o *Options) { o.DialTimeout = 0 }},
		{"heartbeat under 1s", func(o *Options) { o.Heartbeat = time.Millisecond }},
		{"no backoff", func(o *Options) { o.MinBackoff = 0 }},
		{"cap under the minimum", func(o *Options) { o.MaxBackoff = o.MinBackoff - 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			tt.mutate(&o)
			err := o.validate()
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error quotes the URL: %v", err)
			}
		})
	}
}

func TestBrokerNameHasNoCredentials(t *testing.T) {
	tests := []struct{ url, want string }{
		{"amqp://guest:guest@127.0.0.1:5672/", "amqp://127.0.0.1:5672/%2F"},
		{"amqps://svc:s3cr%40t@mq.example.com/prod", "amqps://mq.example.com:5671/prod"},
		{"amqp://u:p@[::1]:5673/a%2Fb", "amqp://[::1]:5673/a%2Fb"},
		{"amqp://u:p@h:notaport/", ""},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := BrokerName(tt.url); got != tt.want {
			t.Errorf("BrokerName(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

// FuzzBrokerName: the name of any broker URL names the same broker and holds no user information (a vhost may
// contain "@": found by the fuzzer, input kept in testdata).
func FuzzBrokerName(f *testing.F) {
	f.Add("amqp", "guest", "guest", "127.0.0.1:5672", "/")
	f.Add("amqps", "svc@x", "p:a/s?s#", "mq.example.com", "prod/eu")
	f.Add("amqp", "", "", "[::1]:1", "")
	f.Fuzz(func(t *testing.T, scheme, user, password, host, vhost string) {
		raw := (&url.URL{Scheme: scheme, User: url.UserPassword(user, password), Host: host, Path: "/" + vhost}).String()
		name := BrokerName(raw)
		if name == "" {
			return
		}
		// The authority, before the path, is host:port only: no user information.
		authority, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(name, "amqps://"), "amqp://"), "/")
		if strings.Contains(authority, "@") {
			t.Fatalf("BrokerName(%q) = %q holds user information", raw, name)
		}
		orig, err := amqp.ParseURI(raw)
		if err != nil {
			t.Fatalf("named an unparsable URL %q", raw)
		}
		back, err := amqp.ParseURI(name)
		if err != nil {
			t.Fatalf("name %q does not parse: %v", name, err)
		}
		if back.Scheme != orig.Scheme || back.Host != orig.Host || back.Port != orig.Port || back.Vhost != orig.Vhost {
			t.Fatalf("name %q names %+v, URL %q names %+v", name, back, raw, orig)
		}
	})
}

// writeCert writes a self-signed ECDSA certificate and its key as PEM files, and returns their paths.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestNewTLSConfig(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	cfg, err := NewTLSConfig(certFile, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.MinVersion < 0x0303 {
		t.Fatalf("config %+v", cfg)
	}
	if cfg, err := NewTLSConfig("", "", ""); err != nil || cfg.RootCAs != nil || len(cfg.Certificates) != 0 {
		t.Fatalf("empty: %+v %v", cfg, err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, files := range map[string][3]string{
		"missing CA":          {filepath.Join(dir, "none.pem"), "", ""},
		"CA not PEM":          {notPEM, "", ""},
		"certificate alone":   {"", certFile, ""},
		"key alone":           {"", "", keyFile},
		"key is not a key":    {"", certFile, notPEM},
		"missing certificate": {"", filepath.Join(dir, "none.pem"), keyFile},
	} {
		if _, err := NewTLSConfig(files[0], files[1], files[2]); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
