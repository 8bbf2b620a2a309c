package stun

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// signedRequest is a check from a browser-like client, signed with password.
func signedRequest(t testing.TB, password string) []byte {
	t.Helper()
	b, err := AppendBindingRequest(nil, rfc5769ID, "srvU:cliU",
		ConnectivityCheck{Priority: 1845501695, UseCandidate: true, Role: RoleControlling, TieBreaker: 42}, shortTerm(t, password))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sha256Signed appends MESSAGE-INTEGRITY-SHA256 truncated to size bytes, computed by hand from the RFC text so that
// the test does not only agree with itself.
func sha256Signed(key string, msg []byte, size int) []byte {
	end := len(msg) + attrHeaderSize + size
	header := bytes.Clone(msg[:HeaderSize])
	binary.BigEndian.PutUint16(header[2:4], uint16(end-HeaderSize))
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(header)
	mac.Write(msg[HeaderSize:])
	out := append(bytes.Clone(msg), tlv(AttrMessageIntegritySHA256, mac.Sum(nil)[:size])...)
	binary.BigEndian.PutUint16(out[2:4], uint16(end-HeaderSize))
	return out
}

func TestIntegrityCheck(t *testing.T) {
	const key = "pass"
	plain := rawMessage(BindingRequest, tlv(AttrUsername, []byte("a:b")))
	withMI, err := NewBuilder(nil, BindingRequest, rfc5769ID).AddUsername("a:b").AddMessageIntegrity(shortTerm(t, key)).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	wrongMI, err := NewBuilder(nil, BindingRequest, rfc5769ID).AddUsername("a:b").AddMessageIntegrity(shortTerm(t, "other")).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Attributes after MESSAGE-INTEGRITY do not count (RFC 8489 9): appending one must not break the check.
	afterMI := append(bytes.Clone(withMI), tlv(AttrPriority, []byte{1, 2, 3, 4})...)
	binary.BigEndian.PutUint16(afterMI[2:4], uint16(len(afterMI)-HeaderSize))

	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"MESSAGE-INTEGRITY", withMI, nil},
		{"MESSAGE-INTEGRITY wrong key", wrongMI, ErrIntegrity},
		{"no integrity", plain, ErrIntegrityMissing},
		{"attribute after MESSAGE-INTEGRITY ignored", afterMI, nil},
		{"MESSAGE-INTEGRITY-SHA256 full", sha256Signed(key, plain, 32), nil},
		{"MESSAGE-INTEGRITY-SHA256 truncated to 16", sha256Signed(key, plain, 16), nil},
		{"MESSAGE-INTEGRITY-SHA256 truncated to 28", sha256Signed(key, plain, 28), nil},
		{"MESSAGE-INTEGRITY-SHA256 wrong key", sha256Signed("other", plain, 32), ErrIntegrity},
		// RFC 8489 9.1.3: with both, MESSAGE-INTEGRITY-SHA256 decides.
		{"SHA256 decides over a wrong SHA1", sha256Signed(key, wrongMI, 32), nil},
		{"SHA256 decides over a right SHA1", sha256Signed("other", withMI, 32), ErrIntegrity},
	}
	i := shortTerm(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			original := bytes.Clone(tt.b)
			m := parsed(t, tt.b)
			if err := i.Check(m); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Check = %v, want %v", err, tt.want)
			}
			if !bytes.Equal(tt.b, original) {
				t.Error("Check modified the datagram")
			}
		})
	}
}

func TestIntegrityCheckNil(t *testing.T) {
	var i *Integrity
	if err := i.Check(parsed(t, rfc5769Request)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil Integrity: %v", err)
	}
	if err := shortTerm(t, "x").Check(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil Message: %v", err)
	}
	if _, err := NewShortTermIntegrity(""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty password: %v", err)
	}
	if _, err := NewLongTermIntegrity("", "realm", "pass"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty username: %v", err)
	}
}

// TestLongTermKey uses the example key of RFC 8489 9.2.2: MD5("user:realm:pass").
func TestLongTermKey(t *testing.T) {
	i, err := NewLongTermIntegrity("user", "realm", "pass")
	if err != nil {
		t.Fatal(err)
	}
	key := mustHex("8493fbc53ba582fb4c044c456bdc40eb")
	msg := rawMessage(BindingRequest, tlv(AttrUsername, []byte("user")))
	end := len(msg) + attrHeaderSize + 20
	header := bytes.Clone(msg)
	binary.BigEndian.PutUint16(header[2:4], uint16(end-HeaderSize))
	mac := hmac.New(sha1.New, key)
	mac.Write(header)
	signed := append(header, tlv(AttrMessageIntegrity, mac.Sum(nil))...)
	if err := i.Check(parsed(t, signed)); err != nil {
		t.Errorf("Check with the RFC 8489 example key: %v", err)
	}
}

// TestEveryBitMatters flips each bit of a signed response: the result either fails to parse, or fails the
// integrity or the fingerprint check. Nothing a byte flip does can pass both.
func TestEveryBitMatters(t *testing.T) {
	i := shortTerm(t, "pwd")
	m := parsed(t, signedRequest(t, "pwd"))
	resp, err := AppendBindingSuccess(nil, m, netip.MustParseAddrPort("[2001:db8::1]:5000"), i)
	if err != nil {
		t.Fatal(err)
	}
	check := NewMessage()
	for bit := range len(resp) * 8 {
		flipped := bytes.Clone(resp)
		flipped[bit/8] ^= 1 << (bit % 8)
		if check.Parse(flipped) != nil {
			continue
		}
		if i.Check(check) == nil && check.CheckFingerprint() == nil {
			t.Errorf("flipping bit %d of byte %d passes both checks", bit%8, bit/8)
		}
	}
}

func TestFingerprint(t *testing.T) {
	good := signedRequest(t, "pwd")
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-1] ^= 0x01
	body := bytes.Clone(good)
	body[HeaderSize+8] ^= 0x01 // inside USERNAME
	// What follows FINGERPRINT is ignored, but the header length still counts it: the check must adjust it.
	trailing := append(bytes.Clone(good), tlv(AttrSoftware, []byte("x"))...)
	binary.BigEndian.PutUint16(trailing[2:4], uint16(len(trailing)-HeaderSize))

	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"valid", good, nil},
		{"RFC 5769 request", rfc5769Request, nil},
		{"value corrupted", corrupt, ErrFingerprint},
		{"body corrupted", body, ErrFingerprint},
		{"no FINGERPRINT", rfc5769LongTerm, ErrFingerprintMissing},
		{"attribute after FINGERPRINT", trailing, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			original := bytes.Clone(tt.b)
			err := parsed(t, tt.b).CheckFingerprint()
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("CheckFingerprint = %v, want %v", err, tt.want)
			}
			if !bytes.Equal(tt.b, original) {
				t.Error("CheckFingerprint modified the datagram")
			}
		})
	}
}

func TestIntegrityConcurrentUse(t *testing.T) {
	i := shortTerm(t, "pwd")
	req := signedRequest(t, "pwd")
	done := make(chan error)
	for range 4 {
		go func() {
			m := NewMessage()
			for range 200 {
				if err := m.Parse(req); err != nil {
					done <- err
					return
				}
				if err := i.Check(m); err != nil {
					done <- err
					return
				}
				if _, err := AppendBindingSuccess(nil, m, netip.MustParseAddrPort("192.0.2.1:1"), i); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
