package stun_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/heytribe/live-webrtcsignaling/src/stun"
)

// session is what an ICE-lite server keeps per peer connection.
type session struct {
	localUfrag, remoteUfrag string
	integrity               *stun.Integrity // from the local ice-pwd
}

// answer handles one datagram the way the media plane does and returns the response to send, if any.
func answer(msg *stun.Message, out []byte, pkt []byte, source netip.AddrPort, sessions map[string]*session) ([]byte, error) {
	if !stun.IsMessage(pkt) {
		return nil, errors.New("not STUN")
	}
	if err := msg.Parse(pkt); err != nil {
		return nil, err // drop: without a parsed header there is no transaction ID to answer
	}
	if msg.Type() != stun.BindingRequest {
		return nil, errors.New("not a binding request")
	}
	local, _, err := msg.ICEUsername()
	if err != nil {
		return stun.AppendBindingError(out, msg, stun.CodeBadRequest, nil)
	}
	sess, ok := sessions[string(local)]
	if !ok || msg.CheckICEUsername(sess.localUfrag, sess.remoteUfrag) != nil {
		return stun.AppendBindingError(out, msg, stun.CodeUnauthenticated, nil)
	}
	if err := msg.CheckFingerprint(); err != nil {
		return nil, err // drop
	}
	switch err := sess.integrity.Check(msg); {
	case errors.Is(err, stun.ErrIntegrityMissing):
		return stun.AppendBindingError(out, msg, stun.CodeBadRequest, nil)
	case err != nil:
		return stun.AppendBindingError(out, msg, stun.CodeUnauthenticated, nil)
	}
	if unknown := msg.UnknownRequired(nil); len(unknown) > 0 {
		return stun.AppendUnknownAttributesError(out, msg, unknown, sess.integrity)
	}
	check, err := msg.ConnectivityCheck()
	if err != nil {
		return stun.AppendBindingError(out, msg, stun.CodeBadRequest, nil)
	}
	if err := check.CheckLiteRole(); err != nil {
		return stun.AppendBindingError(out, msg, stun.CodeRoleConflict, sess.integrity)
	}
	return stun.AppendBindingSuccess(out, msg, source, sess.integrity)
}

// An ICE-lite server answering the checks of a browser.
func Example_iceLiteServer() {
	serverPwd, _ := stun.NewShortTermIntegrity("serverPasswordOf22chars")
	sessions := map[string]*session{"srvU": {localUfrag: "srvU", remoteUfrag: "cliU", integrity: serverPwd}}
	wrongPwd, _ := stun.NewShortTermIntegrity("notTheServerPassword00")
	source := netip.MustParseAddrPort("198.51.100.7:50000")

	requests := []struct {
		name     string
		username string
		check    stun.ConnectivityCheck
		pwd      *stun.Integrity
	}{
		{"nominating check", "srvU:cliU", stun.ConnectivityCheck{Priority: 1, UseCandidate: true, Role: stun.RoleControlling}, serverPwd},
		{"full agent that thinks it is controlled", "srvU:cliU", stun.ConnectivityCheck{Priority: 1, Role: stun.RoleControlled}, serverPwd},
		{"wrong password", "srvU:cliU", stun.ConnectivityCheck{Priority: 1, Role: stun.RoleControlling}, wrongPwd},
		{"unknown session", "xxxx:cliU", stun.ConnectivityCheck{Priority: 1, Role: stun.RoleControlling}, serverPwd},
	}
	msg, resp := stun.NewMessage(), stun.NewMessage()
	out := make([]byte, 0, 1500)
	for _, r := range requests {
		id, _ := stun.NewTransactionID()
		pkt, _ := stun.AppendBindingRequest(nil, id, r.username, r.check, r.pwd)
		b, err := answer(msg, out[:0], pkt, source, sessions)
		if err != nil {
			fmt.Println(r.name, "->", err)
			continue
		}
		if err := resp.Parse(b); err != nil {
			fmt.Println(r.name, "->", err)
			continue
		}
		if code, _, err := resp.ErrorCode(); err == nil {
			fmt.Println(r.name, "->", code)
			continue
		}
		mapped, _ := resp.XORMappedAddress()
		fmt.Println(r.name, "->", resp.Type(), mapped)
	}
	// Output:
	// nominating check -> binding success response 198.51.100.7:50000
	// full agent that thinks it is controlled -> 487 Role Conflict
	// wrong password -> 401 Unauthenticated
	// unknown session -> 401 Unauthenticated
}
