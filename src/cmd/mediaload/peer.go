package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/heytribe/live-webrtcsignaling/cgo/dtls"
	"github.com/heytribe/live-webrtcsignaling/cgo/srtp"
	"github.com/heytribe/live-webrtcsignaling/src/sdp"
	"github.com/heytribe/live-webrtcsignaling/src/stun"
	"github.com/heytribe/live-webrtcsignaling/src/transport"
)

// consentInterval is how often a connected peer sends a connectivity check, as browsers do: the server closes a
// session without one for CONSENT_TIMEOUT (30 s).
const consentInterval = 5 * time.Second

// peer is one synthetic WebRTC connection with the server: its own UDP socket on loopback, a full ICE agent that
// only nominates the server's candidate, a DTLS client, SRTP contexts. The socket has kernel receive timestamps
// on (SO_TIMESTAMPNS), so that a listener knows when each packet left the server. With overTCP, connect opens an
// ICE-TCP connection to the server's passive candidate instead, and everything goes over it in RFC 4571 frames.
type peer struct {
	conn         *net.UDPConn
	overTCP      bool
	tcp          *tcpPath // set by connect when overTCP
	ufrag, pwd   string
	tieBreaker   uint64
	dtlsCtx      *dtls.Context
	remote       remoteDescription
	integrity    *stun.Integrity
	ep           *dtls.Endpoint
	in           *srtp.Inbound
	out          *srtp.Outbound
	nextConsent  time.Time
	checkBuf     []byte
	readBuf, oob []byte
}

func newPeer(dtlsCtx *dtls.Context) (*peer, error) {
	if dtlsCtx == nil {
		return nil, errors.New("peer: no DTLS context")
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	if err := enableTimestamps(conn); err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	secret := make([]byte, 8+8+12)
	if _, err := rand.Read(secret); err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	return &peer{
		conn: conn, dtlsCtx: dtlsCtx,
		tieBreaker: binary.BigEndian.Uint64(secret),
		ufrag:      hex.EncodeToString(secret[8:16]),
		pwd:        hex.EncodeToString(secret[16:]), // 24 characters: ICE wants at least 22
		checkBuf:   make([]byte, 0, 256),
		readBuf:    make([]byte, 1500),
		oob:        make([]byte, 128),
	}, nil
}

// enableTimestamps asks the kernel to stamp every datagram the socket receives with its arrival time.
func enableTimestamps(conn *net.UDPConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := raw.Control(func(fd uintptr) {
		opErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	if opErr != nil {
		return fmt.Errorf("SO_TIMESTAMPNS: %w", opErr)
	}
	return nil
}

// transport is the peer's side of the SDP: ICE credentials and certificate fingerprint; setup as given.
func (p *peer) transport(setup sdp.Setup) sdp.Transport {
	hash, value, _ := cutFingerprint(p.dtlsCtx.Fingerprint().String())
	return sdp.Transport{ICEUfrag: p.ufrag, ICEPwd: p.pwd, Setup: setup,
		Fingerprints: []sdp.Fingerprint{{HashFunction: hash, Value: value}}}
}

func cutFingerprint(s string) (hash, value string, ok bool) {
	for i := range len(s) {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// candidate is the peer's host candidate.
func (p *peer) candidate() sdp.Candidate {
	a := p.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return sdp.Candidate{Foundation: "1", Component: 1, Transport: "udp", Priority: 2130706431,
		Address: a.Addr().String(), Port: a.Port(), Type: "host"}
}

// connect runs ICE (a nominating check, repeated until answered), the DTLS handshake as the client, and makes the
// SRTP contexts, before ctx ends.
func (p *peer) connect(ctx context.Context, remote remoteDescription) error {
	p.remote = remote
	if p.overTCP {
		if !remote.tcpAddr.IsValid() {
			return errors.New("ICE-TCP: the server offers no IPv4 passive TCP candidate (ICE_TCP_PORT=off?)")
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp4", remote.tcpAddr.String())
		if err != nil {
			return fmt.Errorf("ICE-TCP: %w", err)
		}
		p.tcp = newTCPPath(conn.(*net.TCPConn))
	}
	integrity, err := stun.NewShortTermIntegrity(remote.pwd)
	if err != nil {
		return err
	}
	p.integrity = integrity
	if err := p.checkUntilAnswered(ctx); err != nil {
		return fmt.Errorf("ICE: %w", err)
	}
	if err := p.handshake(ctx); err != nil {
		return fmt.Errorf("DTLS: %w", err)
	}
	p.nextConsent = time.Now().Add(consentInterval)
	return nil
}

// check sends a connectivity check that nominates the server's candidate, and returns its transaction id.
func (p *peer) check() (stun.TransactionID, error) {
	id, err := stun.NewTransactionID()
	if err != nil {
		return id, err
	}
	b, err := stun.AppendBindingRequest(p.checkBuf[:0], id, p.remote.ufrag+":"+p.ufrag, stun.ConnectivityCheck{
		Priority: 1853824767, UseCandidate: true, Role: stun.RoleControlling, TieBreaker: p.tieBreaker}, p.integrity)
	if err != nil {
		return id, err
	}
	p.checkBuf = b
	return id, p.send(b)
}

// send sends one datagram to the server: on the UDP socket, or as one frame on the ICE-TCP connection.
func (p *peer) send(b []byte) error {
	if p.tcp != nil {
		return p.tcp.send(b)
	}
	_, err := p.conn.WriteToUDPAddrPort(b, p.remote.addr)
	return err
}

func (p *peer) checkUntilAnswered(ctx context.Context) error {
	msg := stun.NewMessage()
	for ctx.Err() == nil {
		id, err := p.check()
		if err != nil {
			return err
		}
		retry := time.Now().Add(200 * time.Millisecond)
		for {
			b, ok, err := p.readKind(ctx, transport.KindSTUN, retry)
			if err != nil {
				return err
			}
			if !ok {
				break // no answer: check again
			}
			if msg.Parse(b) != nil || msg.TransactionID() != id {
				continue
			}
			if msg.Type() != stun.BindingSuccess {
				return fmt.Errorf("check answered %s", msg.Type())
			}
			return p.integrity.Check(msg)
		}
	}
	return ctx.Err()
}

func (p *peer) handshake(ctx context.Context) error {
	ep, err := p.dtlsCtx.NewEndpointWith(dtls.EndpointParams{Role: dtls.RoleClient,
		RemoteFingerprints: p.remote.fingerprints})
	if err != nil {
		return err
	}
	p.ep = ep
	send, err := ep.Start()
	if err := errors.Join(err, p.sendAll(send)); err != nil {
		return err
	}
	for {
		wait := time.Now().Add(50 * time.Millisecond)
		if at, ok := ep.NextTimeout(); ok {
			wait = at
		}
		b, ok, err := p.readKind(ctx, transport.KindDTLS, wait)
		if err != nil {
			return err
		}
		if !ok {
			send, err := ep.HandleTimeout()
			if err := errors.Join(err, p.sendAll(send)); err != nil {
				return err
			}
			continue
		}
		res, err := ep.HandleDatagram(b)
		if err := errors.Join(err, p.sendAll(res.Send)); err != nil {
			return err
		}
		if res.HandshakeComplete {
			return p.makeSRTP()
		}
	}
}

func (p *peer) sendAll(datagrams [][]byte) error {
	for _, d := range datagrams {
		if err := p.send(d); err != nil {
			return err
		}
	}
	return nil
}

func (p *peer) makeSRTP() error {
	keys, err := p.ep.SRTPKeys()
	if err != nil {
		return err
	}
	defer keys.Wipe()
	profile := srtp.Profile(keys.Profile)
	if p.in, err = srtp.NewInbound(profile, keys.RemoteKey, keys.RemoteSalt); err != nil {
		return err
	}
	p.out, err = srtp.NewOutbound(profile, keys.LocalKey, keys.LocalSalt)
	return err
}

// readKind returns the next datagram of kind, skipping others, false once deadline has passed.
func (p *peer) readKind(ctx context.Context, kind transport.Kind, deadline time.Time) ([]byte, bool, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		b, _, err := p.read(deadline)
		if isTimeout(err) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if transport.Classify(b) == kind {
			return b, true, nil
		}
	}
}

// read returns the next datagram (valid until the next read) and the kernel's time of its arrival (0 when the
// kernel gave none; over ICE-TCP, the time of the read), or a timeout error after deadline.
func (p *peer) read(deadline time.Time) ([]byte, int64, error) {
	if p.tcp != nil {
		return p.tcp.read(p.readBuf, deadline)
	}
	if err := p.conn.SetReadDeadline(deadline); err != nil {
		return nil, 0, err
	}
	n, oobn, _, _, err := p.conn.ReadMsgUDPAddrPort(p.readBuf, p.oob)
	if err != nil {
		return nil, 0, err
	}
	at, _ := kernelTimestamp(p.oob[:oobn])
	return p.readBuf[:n], at, nil
}

// keepConsent sends a connectivity check when one is due, as browsers do every few seconds.
func (p *peer) keepConsent(now time.Time) error {
	if now.Before(p.nextConsent) {
		return nil
	}
	p.nextConsent = now.Add(consentInterval)
	_, err := p.check()
	return err
}

// close frees the peer's C memory and its socket.
func (p *peer) close() error {
	var errs []error
	if p.ep != nil {
		_, err := p.ep.Close()
		errs = append(errs, err)
	}
	if p.in != nil {
		errs = append(errs, p.in.Close())
	}
	if p.out != nil {
		errs = append(errs, p.out.Close())
	}
	if p.tcp != nil {
		errs = append(errs, p.tcp.conn.Close())
	}
	return errors.Join(append(errs, p.conn.Close())...)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// kernelTimestamp finds the SCM_TIMESTAMPNS control message in oob (the socket's ancillary data) and returns its
// time in Unix nanoseconds.
func kernelTimestamp(oob []byte) (int64, bool) {
	const (
		headerSize = 16 // struct cmsghdr on 64-bit Linux: size_t len, int level, int type
		dataSize   = 16 // struct timespec: seconds, nanoseconds
	)
	for len(oob) >= headerSize {
		size := binary.NativeEndian.Uint64(oob)
		level := int32(binary.NativeEndian.Uint32(oob[8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:]))
		if size < headerSize || size > uint64(len(oob)) {
			return 0, false
		}
		if level == syscall.SOL_SOCKET && typ == syscall.SCM_TIMESTAMPNS && size >= headerSize+dataSize {
			sec := int64(binary.NativeEndian.Uint64(oob[headerSize:]))
			nsec := int64(binary.NativeEndian.Uint64(oob[headerSize+8:]))
			return sec*int64(time.Second) + nsec, true
		}
		next := (size + 7) &^ 7 // messages are aligned on 8 bytes
		if next > uint64(len(oob)) {
			return 0, false
		}
		oob = oob[next:]
	}
	return 0, false
}
