// Package stun parses and builds STUN messages (RFC 8489, RFC 5389) with the attributes ICE uses (RFC 8445): the
// codec of the media plane's ICE-lite server and of the clients that test it. It does no I/O.
//
// What the server does with each datagram whose first byte is 0..3, every step cheap and, with a reused Message and
// output buffer, free of allocations (Example_iceLiteServer is the same flow as code that runs):
//
//	stun.IsMessage(pkt)                   // false: not STUN, drop
//	msg.Parse(pkt)                        // ErrMalformed: drop; msg is one stun.NewMessage() per read loop
//	msg.Type() == stun.BindingRequest     // a BindingIndication is a keepalive (RFC 8445 11): no answer
//	local, _, err := msg.ICEUsername()    // the session, before any other check; ErrMalformed or missing: 400
//	sess := sessions[string(local)]       // no such session: 401
//	msg.CheckICEUsername(l, r)            // ErrUsername, the remote ufrag is not the session's: 401
//	msg.CheckFingerprint()                // ErrFingerprintMissing, ErrFingerprint: drop
//	sess.integrity.Check(msg)             // ErrIntegrityMissing: 400, ErrIntegrity: 401
//	msg.UnknownRequired(types[:0])        // any: AppendUnknownAttributesError, 420
//	check, err := msg.ConnectivityCheck() // PRIORITY, USE-CANDIDATE, role and tie-breaker; ErrMalformed: 400
//	check.CheckLiteRole()                 // ErrRoleConflict: AppendBindingError(..., stun.CodeRoleConflict, sess.integrity)
//	stun.AppendBindingSuccess(out[:0], msg, source, sess.integrity)
//
// sess.integrity is an Integrity made once per session from the local ICE password (NewShortTermIntegrity); 400 and
// 401 answers carry no integrity (AppendBindingError with a nil Integrity), as RFC 8489 9.1.3 requires. Errors are
// sentinels (ErrMalformed, ErrIntegrity, ...) so that callers can count them and choose the answer. Parse and the
// checks only read the datagram: the integrity and fingerprint checks adjust the header length on a copy, never in
// the caller's buffer.
//
// A client builds its checks with AppendBindingRequest (or a Builder) and reads the answers with Parse,
// Integrity.Check, CheckFingerprint, XORMappedAddress and ErrorCode.
package stun
