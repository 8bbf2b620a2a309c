package dtls

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzHandleDatagram feeds two arbitrary datagrams to a fresh endpoint: whatever the peer sends, the endpoint
// returns datagrams within the MTU or an error, never a crash, and closes cleanly.
func FuzzHandleDatagram(f *testing.F) {
	hello := readChromiumClientHello(f)
	f.Add(true, hello[0], hello[1])
	f.Add(true, hello[1], hello[0])
	f.Add(true, hello[0][:40], hello[1][:13])

	c := newTestContext(f, Config{})
	client, server := newTestPair(f, c, c)
	l := &link{mtu: DefaultMTU}
	if err := handshakeInMemory(client, server, l); err != nil {
		f.Fatal(err)
	}
	flight, err := newTestEndpoint(f, c, RoleClient, c.Fingerprint()).Start()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(true, flight[0], []byte{21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 40})
	f.Add(false, []byte{22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2}, []byte{})

	f.Fuzz(func(t *testing.T, server bool, first, second []byte) {
		role := RoleClient
		if server {
			role = RoleServer
		}
		e, err := c.NewEndpointWith(EndpointParams{Role: role, RemoteFingerprints: []Fingerprint{c.Fingerprint()}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Start(); err != nil {
			t.Fatal(err)
		}
		for _, d := range [][]byte{first, second} {
			usable := e.State() == StateHandshaking || e.State() == StateConnected
			res, err := e.HandleDatagram(d)
			for _, out := range res.Send {
				if len(out) == 0 || len(out) > DefaultMTU {
					t.Fatalf("sent a datagram of %d bytes", len(out))
				}
			}
			if badSize := len(d) == 0 || len(d) > MaxDatagramSize; errors.Is(err, ErrDatagramSize) != (usable && badSize) {
				t.Fatalf("%d-byte datagram: %v", len(d), err)
			}
		}
		if _, err := e.HandleTimeout(); err != nil && e.State() != StateFailed {
			t.Fatalf("HandleTimeout failed without failing the endpoint: %v", err)
		}
		if _, err := e.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}

// Genuine records the peer sends, which FuzzDatagramAfterHandshake mutates.
const (
	genuineNone = iota
	genuineData
	genuineCloseNotify
	genuineKinds
)

// FuzzDatagramAfterHandshake feeds one datagram to a connected endpoint: the fuzzer's mask, XORed onto a genuine
// record of the peer (application data, close_notify) or onto nothing, and extended by the mask's tail. Only a
// datagram that still carries the genuine record whole may do what that record does (deliver its data, end the
// association); anything else must change nothing and get no answer.
func FuzzDatagramAfterHandshake(f *testing.F) {
	f.Add(true, uint8(genuineNone), forgedAlert)
	f.Add(false, uint8(genuineNone), forgedAlert)
	f.Add(true, uint8(genuineData), []byte{})
	f.Add(false, uint8(genuineCloseNotify), []byte{})
	f.Add(true, uint8(genuineData), append(make([]byte, 60), forgedAlert...))
	f.Add(true, uint8(genuineCloseNotify), []byte{0, 0, 1})                    // another version
	f.Add(false, uint8(genuineCloseNotify), []byte{0, 0, 0, 0, 0, 0, 0, 0, 1}) // another sequence number
	f.Add(true, uint8(genuineData), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add(false, uint8(genuineNone), record(contentTypeHandshake, versionDTLS12, 1, 40))

	c := newTestContext(f, Config{})
	f.Fuzz(func(t *testing.T, server bool, kind uint8, mask []byte) {
		client, srv := newTestPair(t, c, c)
		if err := handshakeInMemory(client, srv, &link{mtu: DefaultMTU}); err != nil {
			t.Fatal(err)
		}
		e, peer := client, srv
		if server {
			e, peer = srv, client
		}
		payload := []byte("genuine data")
		var genuine [][]byte
		var err error
		switch kind % genuineKinds {
		case genuineData:
			genuine, err = peer.Write(payload)
		case genuineCloseNotify:
			genuine, err = peer.Close()
		}
		if err != nil || (kind%genuineKinds != genuineNone && len(genuine) != 1) {
			t.Fatalf("genuine record: %d datagrams, %v", len(genuine), err)
		}
		var d []byte
		if len(genuine) == 1 {
			d = append(d, genuine[0]...)
		}
		for i, m := range mask {
			if i < len(d) {
				d[i] ^= m
			} else {
				d = append(d, m)
			}
		}

		res, err := e.HandleDatagram(d)
		if len(res.Send) != 0 {
			t.Fatalf("answered % x with %d datagrams", d, len(res.Send))
		}
		carried := len(genuine) == 1 && bytes.Contains(d, genuine[0])
		switch {
		case len(d) == 0 || len(d) > MaxDatagramSize:
			if !errors.Is(err, ErrDatagramSize) || e.State() != StateConnected {
				t.Fatalf("%d-byte datagram: %v, state %s", len(d), err, e.State())
			}
		case carried && kind%genuineKinds == genuineCloseNotify && errors.Is(err, ErrPeerClosed):
		case err != nil || e.State() != StateConnected:
			t.Fatalf("% x (genuine: %v): %v, state %s", d, carried, err, e.State())
		case len(res.Data) > 1 || (len(res.Data) == 1 && (!carried || !bytes.Equal(res.Data[0], payload))):
			t.Fatalf("% x (genuine: %v) delivered %q", d, carried, res.Data)
		}
	})
}
