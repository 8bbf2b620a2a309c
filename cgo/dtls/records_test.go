package dtls

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// forgedAlert is the record FuzzSession found: a fatal handshake_failure alert in epoch 1 that is not encrypted,
// so it cannot authenticate. OpenSSL 3.0 fails the association on it with an internal_error alert.
var forgedAlert = []byte{0x15, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0x7f, 0x00, 0x00, 0x02, 0x02, 0x28}

// aeadSuites are the suites an ECDSA certificate can negotiate, with the shortest ciphertext each authenticates.
var aeadSuites = []struct {
	name          string
	minCiphertext int
}{
	{"ECDHE-ECDSA-AES128-GCM-SHA256", 24},
	{"ECDHE-ECDSA-AES256-GCM-SHA384", 24},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", 16},
}

// connectedPair returns a client and a server, both of a Context built from cfg, after their handshake.
func connectedPair(tb testing.TB, cfg Config) (client, server *Endpoint) {
	tb.Helper()
	c := newTestContext(tb, cfg)
	client, server = newTestPair(tb, c, c)
	if err := handshakeInMemory(client, server, &link{mtu: DefaultMTU}); err != nil {
		tb.Fatal(err)
	}
	return client, server
}

// record returns a record of epoch 1 whose body is n zero bytes: it cannot authenticate.
func record(contentType byte, version uint16, seq uint64, n int) []byte {
	return appendRecord(nil, recordHeader{contentType: contentType, version: version, epoch: 1, seq: seq}, make([]byte, n))
}

// fatalAlertOf makes e's OpenSSL fail as it did before authenticable existed, by feeding it forgedAlert past the
// filter, and returns the fatal alert e sends then: a genuine internal_error alert, encrypted with e's keys.
func fatalAlertOf(t *testing.T, e *Endpoint) []byte {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	send, err := e.finish(e.readRecords(forgedAlert, &Result{}))
	if err == nil || len(send) != 1 {
		t.Fatalf("unfiltered forged record: %d datagrams, %v; want OpenSSL's fatal alert", len(send), err)
	}
	return send[0]
}

func TestForgedRecordsAfterHandshakeAreDropped(t *testing.T) {
	for _, suite := range aeadSuites {
		// filtered is how many records the Endpoint drops before OpenSSL (and counts in Result.Dropped); OpenSSL
		// drops the others itself, uncounted.
		forged := map[string]struct {
			datagram []byte
			filtered int
		}{
			"the fuzzer's alert":         {forgedAlert, 1},
			"empty record":               {record(contentTypeAlert, versionDTLS12, 2, 0), 1},
			"one byte short":             {record(contentTypeAlert, versionDTLS12, 3, suite.minCiphertext-1), 1},
			"full length, wrong tag":     {record(contentTypeAlert, versionDTLS12, 4, suite.minCiphertext), 0},
			"application data":           {record(23, versionDTLS12, 5, 100), 0},
			"handshake":                  {record(contentTypeHandshake, versionDTLS12, 6, 40), 0},
			"truncated":                  {record(contentTypeAlert, versionDTLS12, 7, 40)[:30], 1},
			"header only":                {forgedAlert[:recordHeaderLen], 1},
			"announces more than it has": {append(record(23, versionDTLS12, 9, 0xffff)[:recordHeaderLen], forgedAlert...), 1},
			// OpenSSL skips only the header of these two and reads their body as records.
			"hidden behind another version": {appendRecord(nil, recordHeader{contentType: 23, version: 0xfeff, epoch: 1, seq: 8},
				append(bytes.Repeat(forgedAlert, 2), make([]byte, 64)...)), 1},
			"hidden behind an oversized record": {appendRecord(nil, recordHeader{contentType: 23, version: versionDTLS12, epoch: 1, seq: 10},
				append(append([]byte(nil), forgedAlert...), make([]byte, maxCiphertextLen+1-len(forgedAlert))...)), 1},
			"three in one datagram": {bytes.Join([][]byte{forgedAlert, record(21, versionDTLS12, 11, 1), record(21, versionDTLS12, 12, 30)}, nil), 2},
		}
		for _, role := range []Role{RoleClient, RoleServer} {
			t.Run(suite.name+"/"+role.String(), func(t *testing.T) {
				client, server := connectedPair(t, Config{ciphers: suite.name})
				e, peer := client, server
				if role == RoleServer {
					e, peer = server, client
				}
				for name, f := range forged {
					res, err := e.HandleDatagram(f.datagram)
					if err != nil || len(res.Send) != 0 || len(res.Data) != 0 || e.State() != StateConnected {
						t.Fatalf("%s: %d datagrams, %d records, %v, state %s; want it dropped silently",
							name, len(res.Send), len(res.Data), err, e.State())
					}
					if res.Dropped != f.filtered {
						t.Fatalf("%s: %d records dropped by the Endpoint, want %d", name, res.Dropped, f.filtered)
					}
				}
				// A genuine record still goes through, even behind a forged one in the same datagram.
				data, err := peer.Write([]byte("still here"))
				if err != nil {
					t.Fatal(err)
				}
				res, err := e.HandleDatagram(append(append([]byte(nil), forgedAlert...), data[0]...))
				if err != nil || len(res.Data) != 1 || string(res.Data[0]) != "still here" || len(res.Send) != 0 ||
					res.Dropped != 1 {
					t.Fatalf("genuine record behind a forged one: %q, %d datagrams, %d dropped, %v", res.Data,
						len(res.Send), res.Dropped, err)
				}
				// And the peer's close_notify, as short as records get under this suite, still ends it.
				closeNotify, err := peer.Close()
				if err != nil || len(closeNotify) != 1 {
					t.Fatalf("peer Close = %d datagrams, %v", len(closeNotify), err)
				}
				if _, err := e.HandleDatagram(closeNotify[0]); !errors.Is(err, ErrPeerClosed) {
					t.Fatalf("close_notify: %v, want ErrPeerClosed", err)
				}
			})
		}
	}
}

func TestGenuineFatalAlertEndsAssociation(t *testing.T) {
	for _, role := range []Role{RoleClient, RoleServer} {
		t.Run(role.String(), func(t *testing.T) {
			client, server := connectedPair(t, Config{})
			e, peer := client, server
			if role == RoleServer {
				e, peer = server, client
			}
			alert := fatalAlertOf(t, peer)
			if h, ok := parseRecordHeader(alert); !ok || h.contentType != contentTypeAlert || h.epoch != 1 || h.length <= 2 {
				t.Fatalf("peer's alert % x is not an encrypted alert record", alert)
			}
			res, err := e.HandleDatagram(alert)
			if err == nil || !strings.Contains(err.Error(), "alert internal error") || e.State() != StateFailed {
				t.Fatalf("genuine fatal alert: %v, state %s; want failed by it", err, e.State())
			}
			if len(res.Send) != 0 {
				t.Fatalf("answered a fatal alert with %d datagrams", len(res.Send))
			}
			if send, err := e.Close(); len(send) != 0 {
				t.Fatalf("Close after a fatal alert = %d datagrams, %v; want nothing", len(send), err)
			}
		})
	}
}

func TestEachSuiteNegotiates(t *testing.T) {
	for _, suite := range aeadSuites {
		t.Run(suite.name, func(t *testing.T) {
			client, server := connectedPair(t, Config{ciphers: suite.name})
			if client.minCiphertext != suite.minCiphertext || server.minCiphertext != suite.minCiphertext {
				t.Fatalf("shortest ciphertext %d and %d, want %d", client.minCiphertext, server.minCiphertext, suite.minCiphertext)
			}
		})
	}
	listed := strings.Split(cipherList, ":")
	for _, suite := range aeadSuites {
		if !strings.Contains(cipherList, suite.name) {
			t.Errorf("%s is tested but not in cipherList", suite.name)
		}
	}
	if want := 2 * len(aeadSuites); len(listed) != want {
		t.Errorf("cipherList has %d suites, want the %d tested ones and their RSA twins", len(listed), want)
	}
}

func TestAuthenticable(t *testing.T) {
	good := record(23, versionDTLS12, 1, 24)
	short := record(21, versionDTLS12, 2, 23)
	otherVersion := record(23, 0xfeff, 3, 24)
	oversized := appendRecord(nil, recordHeader{contentType: 23, version: versionDTLS12, epoch: 1}, make([]byte, maxCiphertextLen+1))
	join := func(records ...[]byte) []byte { return bytes.Join(records, nil) }
	tests := []struct {
		name     string
		datagram []byte
		want     []byte
		dropped  int
	}{
		{"one good record", good, good, 0},
		{"two good records", join(good, good), join(good, good), 0},
		{"short record", short, []byte{}, 1},
		{"short record first", join(short, good), good, 1},
		{"short record between", join(good, short, good), join(good, good), 1},
		{"another version", join(otherVersion, good), good, 1},
		{"oversized", join(good, oversized), good, 1},
		{"partial header after", join(good, good[:5]), good, 1},
		{"partial body after", join(good, good[:20]), good, 1},
		{"three bad", join(short, otherVersion, good[:20]), []byte{}, 3},
		{"garbage", []byte("GET / HTTP/1.1\r\n\r\n"), []byte{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dropped := authenticable(tt.datagram, 24)
			if !bytes.Equal(got, tt.want) || got == nil || dropped != tt.dropped {
				t.Fatalf("got % x, %d dropped; want % x, %d", got, dropped, tt.want, tt.dropped)
			}
		})
	}
	if got, _ := authenticable(good, 24); &got[0] != &good[0] {
		t.Fatal("a datagram of valid records was copied")
	}
}

func TestWriteLongerThanRecord(t *testing.T) {
	client, server := connectedPair(t, Config{MTU: maxMTU})
	if _, err := client.Write(make([]byte, maxRecordSize+1)); err == nil || client.State() != StateConnected {
		t.Fatalf("Write of %d bytes: %v, state %s; want an error and the endpoint going on", maxRecordSize+1, err, client.State())
	}
	send, err := client.Write(make([]byte, maxRecordSize))
	if err != nil || len(send) != 1 {
		t.Fatalf("Write of %d bytes = %d datagrams, %v", maxRecordSize, len(send), err)
	}
	if res, err := server.HandleDatagram(send[0]); err != nil || len(res.Data) != 1 || len(res.Data[0]) != maxRecordSize {
		t.Fatalf("largest record: %d records, %v", len(res.Data), err)
	}
}
