package dtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"time"
)

// certificateLifetime is long enough for any process lifetime; WebRTC peers check the fingerprint, not the dates.
const certificateLifetime = 365 * 24 * time.Hour

// Certificate is a self-signed ECDSA P-256 certificate and its key, made for DTLS. A process makes one at start
// (never reusing its HTTPS certificate) and announces its Fingerprint in every SDP.
type Certificate struct {
	der         []byte
	keyPKCS8    []byte
	fingerprint Fingerprint
}

// NewCertificate generates a fresh key pair and a self-signed certificate valid from an hour ago for a year.
func NewCertificate() (*Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dtls: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("dtls: certificate serial: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "WebRTC"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certificateLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("dtls: create certificate: %w", err)
	}
	keyPKCS8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("dtls: marshal key: %w", err)
	}
	fingerprint, err := ComputeFingerprint(SHA256, der)
	if err != nil {
		return nil, err
	}
	return &Certificate{der: der, keyPKCS8: keyPKCS8, fingerprint: fingerprint}, nil
}

// Fingerprint returns the SHA-256 fingerprint of the certificate, for SDP's a=fingerprint.
func (c *Certificate) Fingerprint() Fingerprint {
	return Fingerprint{Hash: c.fingerprint.Hash, Digest: append([]byte(nil), c.fingerprint.Digest...)}
}

// DER returns a copy of the certificate in DER form.
func (c *Certificate) DER() []byte {
	return append([]byte(nil), c.der...)
}

// String names the certificate by its fingerprint; the key never appears in fmt output.
func (c *Certificate) String() string {
	return "dtls.Certificate{" + c.fingerprint.String() + "}"
}

// GoString is String, so that %#v does not print the key either.
func (c *Certificate) GoString() string {
	return c.String()
}

// LogValue logs the fingerprint only.
func (c *Certificate) LogValue() slog.Value {
	return slog.StringValue(c.fingerprint.String())
}
