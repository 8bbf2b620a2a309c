package protocol

// Error codes, sent as the "e" of a failed reply: the original's hex constants, sent as decimal numbers, then new
// ones from 0x533 on and the media plane's from 0x540 on. docs/API.md says when each is sent.
const (
	CodeSystem                  = 0x500 // 1280: internal error
	CodeJSON                    = 0x502 // 1282: not JSON, or a field of the wrong type
	CodeJSONFieldMissing        = 0x503 // 1283: a required field is missing or empty
	CodeAuthFailed              = 0x506 // 1286: bearer refused, or another user's socketId
	CodeUnknownAction           = 0x510 // 1296
	CodeUserNotAuthenticated    = 0x511 // 1297: an action other than join or reconnect before joining
	CodeSocketIDDoesNotExist    = 0x512 // 1298: "to" is not another member of the room
	CodeRoomAlreadyJoined       = 0x523 // 1315
	CodeRoomIsFull              = 0x524 // 1316
	CodeReconnectUnknownSocket  = 0x525 // 1317 (SOCKETID_DOES_NOT_EXIST)
	CodeSDPDecode               = 0x528 // 1320: the SDP does not parse
	CodeSDPAlreadyNegotiated    = 0x532 // 1330: an answer to an offer already answered
	CodeRateLimited             = 0x533 // 1331
	CodeReconnectReplayOverflow = 0x534 // 1332
	CodeMediaUnavailable        = 0x535 // 1333: MCU request without a media plane
	CodeFieldInvalid            = 0x536 // 1334: a field's value is out of bounds, or a candidate does not parse
	CodeServerDraining          = 0x537 // 1335
	CodeSDPRejected             = 0x540 // 1344: nothing in the offer can be received, or the answer does not fit the offer
	CodeNoOffer                 = 0x541 // 1345: an answer for a stream the server has offered nothing for
	CodeMediaCapacity           = 0x542 // 1346: no media session can be made now (no UDP port free, shutting down)
)

// CodeUserSocketLimit (1336) refuses a join or reconnect of a user that already has WS_SOCKETS_PER_USER websockets in
// rooms.
const CodeUserSocketLimit = 0x538

// Websocket close codes of the server's own limits, in the range RFC 6455 (7.4.2) leaves to applications, with
// their reasons. docs/API.md lists them with the standard ones the server sends.
const (
	// CloseRateLimit: the client went on sending over its rate limit (WS_RATE_LIMIT, WS_USER_RATE_LIMIT).
	CloseRateLimit       = 4429
	CloseRateLimitReason = "rate limit"
	// CloseJoinTimeout: no successful join or reconnect within WS_JOIN_TIMEOUT of the upgrade (or of a leave).
	CloseJoinTimeout       = 4408
	CloseJoinTimeoutReason = "join timeout"
)
