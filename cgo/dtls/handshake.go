package dtls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Handshake drives e over conn until its handshake completes, fails, or ctx ends: it starts e, sends what e
// returns to peer, feeds e the datagrams that come from peer (others are ignored) and handles its timers.
// It owns conn's read deadline while it runs. After it returns, datagrams from the peer must still go to
// e.HandleDatagram: a peer whose last flight got no answer retransmits it.
func Handshake(ctx context.Context, e *Endpoint, conn net.PacketConn, peer net.Addr) (err error) {
	if e == nil || conn == nil || peer == nil {
		return fmt.Errorf("%w: nil endpoint, connection or peer", ErrBadConfig)
	}
	send, err := e.Start()
	if sendErr := sendDatagrams(conn, peer, send); sendErr != nil || err != nil {
		return errors.Join(err, sendErr)
	}
	stop := context.AfterFunc(ctx, func() {
		// Unblocks ReadFrom; the loop then sees ctx.Err(). The error only means conn is closed.
		_ = conn.SetReadDeadline(time.Now())
	})
	defer func() {
		stop()
		err = errors.Join(err, conn.SetReadDeadline(time.Time{}))
	}()

	buf := make([]byte, MaxDatagramSize)
	for e.State() == StateHandshaking {
		at, ok := e.NextTimeout()
		if !ok {
			return fmt.Errorf("dtls: no timer during the handshake (state %s)", e.State())
		}
		if err := conn.SetReadDeadline(at); err != nil {
			return err
		}
		// Checked after setting the deadline, so that a cancellation in between is not overwritten.
		if err := ctx.Err(); err != nil {
			return err
		}
		n, from, err := conn.ReadFrom(buf)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			send, err := e.HandleTimeout()
			if err := errors.Join(err, sendDatagrams(conn, peer, send)); err != nil {
				return err
			}
		case err != nil:
			return err
		case n > 0 && sameAddr(from, peer):
			res, err := e.HandleDatagram(buf[:n])
			if err := errors.Join(err, sendDatagrams(conn, peer, res.Send)); err != nil {
				return err
			}
		}
	}
	return nil
}

func sendDatagrams(conn net.PacketConn, peer net.Addr, datagrams [][]byte) error {
	for _, d := range datagrams {
		n, err := conn.WriteTo(d, peer)
		if err != nil {
			return err
		}
		if n != len(d) {
			return fmt.Errorf("dtls: wrote %d of %d bytes", n, len(d))
		}
	}
	return nil
}

func sameAddr(a, b net.Addr) bool {
	ua, okA := a.(*net.UDPAddr)
	ub, okB := b.(*net.UDPAddr)
	if okA && okB {
		return ua.Port == ub.Port && ua.IP.Equal(ub.IP)
	}
	return a != nil && b != nil && a.Network() == b.Network() && a.String() == b.String()
}
