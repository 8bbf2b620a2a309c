package bus_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/internal/brokertest"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client certificate, as PEM files.
type testPKI struct {
	caFile, clientCert, clientKey string
	pool                          *x509.CertPool
	server                        tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IP(netip.MustParseAddr("127.0.0.1").AsSlice())}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	pki := &testPKI{caFile: write("ca.pem", "CERTIFICATE", caDER), pool: x509.NewCertPool()}
	pki.pool.AddCert(ca)
	serverDER, serverKey := issue(2, "broker", x509.ExtKeyUsageServerAuth)
	pki.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	clientDER, clientKey := issue(3, "live-webrtcsignaling", x509.ExtKeyUsageClientAuth)
	pki.clientCert = write("client.pem", "CERTIFICATE", clientDER)
	pki.clientKey = write("client-key.pem", "PRIVATE KEY", keyDER(clientKey))
	return pki
}

// TestPublisherOverTLS publishes through amqps:// to a proxy that terminates TLS with the test CA's certificate and
// requires a client certificate of that CA: RABBITMQ_CA_FILE and RABBITMQ_CERT_FILE / RABBITMQ_KEY_FILE at work.
func TestPublisherOverTLS(t *testing.T) {
	url := brokertest.URL(t)
	pki := newTestPKI(t)
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := tls.NewListener(plain, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.pool})
	px := brokertest.NewProxyOn(t, ln, url)
	amqpsURL := strings.Replace(px.URL(url), "amqp://", "amqps://", 1)

	t.Run("trusted, with a client certificate", func(t *testing.T) {
		opts := brokertest.PublisherOptions(amqpsURL)
		opts.TLS, err = bus.NewTLSConfig(pki.caFile, pki.clientCert, pki.clientKey)
		if err != nil {
			t.Fatal(err)
		}
		c := brokertest.NewConsumer(t, url, opts.Exchange)
		p := brokertest.NewPublisher(t, opts)
		events := script(30, 3)
		publishAll(p, events)
		got := c.WaitCount(len(events))
		brokertest.SameSequences(t, brokertest.RoomSequences(t, got), brokertest.EventSequences(t, events))
	})
	t.Run("broker not trusted", func(t *testing.T) {
		opts := brokertest.PublisherOptions(amqpsURL)
		opts.TLS, err = bus.NewTLSConfig("", pki.clientCert, pki.clientKey)
		if err != nil {
			t.Fatal(err)
		}
		p := brokertest.NewPublisher(t, opts)
		p.Publish(bus.RoomLeave{RoomID: "r"})
		st := brokertest.WaitStats(t, p, "failed attempts", func(s bus.Stats) bool { return s.ConnectionErrors >= 2 })
		if st.Connects != 0 || st.Published != 0 {
			t.Fatalf("published to an untrusted broker: %+v", st)
		}
	})
}
