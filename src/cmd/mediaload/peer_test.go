package main

import (
	"encoding/binary"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/src/internal/testkit"
)

// cmsg builds one control message as the kernel lays it out on 64-bit Linux, padded to 8 bytes.
func cmsg(level, typ int32, data []byte) []byte {
	b := binary.NativeEndian.AppendUint64(nil, uint64(16+len(data)))
	b = binary.NativeEndian.AppendUint32(b, uint32(level))
	b = binary.NativeEndian.AppendUint32(b, uint32(typ))
	b = append(b, data...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func timespec(sec, nsec int64) []byte {
	return binary.NativeEndian.AppendUint64(binary.NativeEndian.AppendUint64(nil, uint64(sec)), uint64(nsec))
}

func TestKernelTimestamp(t *testing.T) {
	stamp := cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, timespec(1700000000, 123))
	want := int64(1700000000)*int64(time.Second) + 123
	for _, tc := range []struct {
		name string
		oob  []byte
		ok   bool
	}{
		{"alone", stamp, true},
		{"after another message", append(cmsg(syscall.IPPROTO_IP, 8, []byte{1, 2, 3, 4}), stamp...), true},
		{"none", nil, false},
		{"another message only", cmsg(syscall.IPPROTO_IP, 8, []byte{1, 2, 3, 4}), false},
		{"truncated", stamp[:len(stamp)-1], false},
		{"length beyond the buffer", append(binary.NativeEndian.AppendUint64(nil, 1<<40), stamp[8:]...), false},
		{"length shorter than a header", append(binary.NativeEndian.AppendUint64(nil, 3), stamp[8:]...), false},
		{"timestamp too short", cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, []byte{1, 2, 3, 4, 5, 6, 7, 8}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := kernelTimestamp(tc.oob)
			if ok != tc.ok || (ok && got != want) {
				t.Errorf("kernelTimestamp = %d, %v; want %d, %v", got, ok, want, tc.ok)
			}
		})
	}
}

// TestPeerSocketTimestamps checks that a peer's socket gets the kernel's arrival time of each datagram.
func TestPeerSocketTimestamps(t *testing.T) {
	p, err := newPeer(newTestDTLSContext(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	out, err := net.DialUDP("udp4", nil, p.conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sent := time.Now().UnixNano()
	if _, err := out.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	b, at, err := p.read(time.Now().Add(testkit.Patient))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "hello" || at < sent || at > time.Now().UnixNano() {
		t.Errorf("read %q at %d; sent at %d", b, at, sent)
	}
}

func TestNewPeerNeedsDTLS(t *testing.T) {
	if p, err := newPeer(nil); err == nil {
		p.close()
		t.Error("newPeer(nil): no error")
	}
}

// newTestDTLSContext returns a DTLS context with a fresh certificate, closed at the end of the test.
func newTestDTLSContext(t testing.TB) *dtls.Context {
	t.Helper()
	cert, err := dtls.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := dtls.NewContext(cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ctx.Close(); err != nil {
			t.Error(err)
		}
	})
	return ctx
}

func FuzzKernelTimestamp(f *testing.F) {
	f.Add(cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, timespec(1, 2)))
	f.Add(append(cmsg(syscall.IPPROTO_IP, 8, []byte{1}), cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS,
		timespec(3, 4))...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, oob []byte) {
		kernelTimestamp(oob) // must not panic nor read out of bounds, whatever the bytes
	})
}
