package dtls

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

func TestParseFingerprint(t *testing.T) {
	sha256Text := "sha-256 " + strings.TrimSuffix(strings.Repeat("0A:", 32), ":")
	tests := []struct {
		name  string
		value string
		want  Fingerprint
		err   bool
	}{
		{"sha-256", sha256Text, Fingerprint{SHA256, bytes.Repeat([]byte{0x0a}, 32)}, false},
		{"upper-case hash, lower-case hex", "SHA-1 " + strings.TrimSuffix(strings.Repeat("ff:", 20), ":"),
			Fingerprint{SHA1, bytes.Repeat([]byte{0xff}, 20)}, false},
		{"sha-384", "sha-384 " + strings.TrimSuffix(strings.Repeat("12:", 48), ":"), Fingerprint{SHA384, bytes.Repeat([]byte{0x12}, 48)}, false},
		{"sha-512 with spaces around", "  sha-512\t" + strings.TrimSuffix(strings.Repeat("00:", 64), ":") + " ",
			Fingerprint{SHA512, make([]byte, 64)}, false},
		{"empty", "", Fingerprint{}, true},
		{"hash only", "sha-256", Fingerprint{}, true},
		{"three fields", sha256Text + " extra", Fingerprint{}, true},
		{"md5 refused", "md5 " + strings.TrimSuffix(strings.Repeat("0A:", 16), ":"), Fingerprint{}, true},
		{"sha-224 refused", "sha-224 " + strings.TrimSuffix(strings.Repeat("0A:", 28), ":"), Fingerprint{}, true},
		{"one byte short", "sha-256 " + strings.TrimSuffix(strings.Repeat("0A:", 31), ":"), Fingerprint{}, true},
		{"no separators", "sha-256 " + strings.Repeat("0A", 32) + strings.Repeat("-", 31), Fingerprint{}, true},
		{"not hex", strings.Replace(sha256Text, "0A", "0G", 1), Fingerprint{}, true},
		{"colon inside a byte", strings.Replace(sha256Text, "0A:0A", "0::AA", 1), Fingerprint{}, true},
		{"sign in a byte", strings.Replace(sha256Text, "0A", "+A", 1), Fingerprint{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFingerprint(tt.value)
			if tt.err {
				if !errors.Is(err, ErrBadFingerprint) {
					t.Fatalf("got %v, %v; want ErrBadFingerprint", got, err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestFingerprintStringRoundTrip(t *testing.T) {
	cert, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	fp := cert.Fingerprint()
	want := sha256.Sum256(cert.DER())
	if fp.Hash != SHA256 || !bytes.Equal(fp.Digest, want[:]) {
		t.Fatalf("certificate fingerprint %v is not the SHA-256 of its DER", fp)
	}
	text := fp.String()
	if len(text) != len("sha-256 ")+3*32-1 || !strings.HasPrefix(text, "sha-256 ") || text[8:] != strings.ToUpper(text[8:]) {
		t.Fatalf("SDP form %q: want lower-case hash name and upper-case hex", text)
	}
	back, err := ParseFingerprint(text)
	if err != nil || !back.Equal(fp) {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	// Copies: changing a returned digest does not change the certificate's.
	fp.Digest[0] ^= 0xff
	if cert.Fingerprint().Equal(fp) {
		t.Fatal("Fingerprint returned the certificate's own slice")
	}
}

func TestComputeFingerprintErrors(t *testing.T) {
	if _, err := ComputeFingerprint(SHA256, nil); !errors.Is(err, ErrBadFingerprint) {
		t.Fatalf("empty certificate: %v", err)
	}
	if _, err := ComputeFingerprint(Hash(2), []byte{1}); !errors.Is(err, ErrBadFingerprint) {
		t.Fatalf("unknown hash: %v", err)
	}
}

func TestNewCertificate(t *testing.T) {
	a, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint().Equal(b.Fingerprint()) {
		t.Fatal("two certificates share a fingerprint")
	}
	parsed, err := x509.ParseCertificate(a.DER())
	if err != nil {
		t.Fatal(err)
	}
	if parsed.PublicKeyAlgorithm != x509.ECDSA || parsed.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Fatalf("certificate is %v signed with %v, want ECDSA P-256 with SHA-256",
			parsed.PublicKeyAlgorithm, parsed.SignatureAlgorithm)
	}
	if err := parsed.CheckSignature(parsed.SignatureAlgorithm, parsed.RawTBSCertificate, parsed.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
}

func FuzzParseFingerprint(f *testing.F) {
	f.Add("sha-256 " + strings.TrimSuffix(strings.Repeat("AB:", 32), ":"))
	f.Add("SHA-1 " + strings.TrimSuffix(strings.Repeat("ab:", 20), ":"))
	f.Add("sha-512 " + strings.TrimSuffix(strings.Repeat("00:", 64), ":"))
	f.Add("md5 00:11")
	f.Add("sha-384 ::")
	f.Add("")
	f.Fuzz(func(t *testing.T, value string) {
		fp, err := ParseFingerprint(value)
		if err != nil {
			if !errors.Is(err, ErrBadFingerprint) {
				t.Fatalf("error %v is not ErrBadFingerprint", err)
			}
			return
		}
		if !fp.valid() {
			t.Fatalf("accepted %q as an invalid fingerprint %v", value, fp)
		}
		back, err := ParseFingerprint(fp.String())
		if err != nil || !back.Equal(fp) {
			t.Fatalf("%q: String %q does not parse back: %v", value, fp.String(), err)
		}
	})
}
