package signaling

// Error codes of the API: the original's hex constants, sent as decimal numbers, then new ones from 0x533 on.
// docs/API.md describes when each is sent.
const (
	CodeSystem                  = 0x500 // 1280
	CodeJSON                    = 0x502 // 1282
	CodeJSONFieldMissing        = 0x503 // 1283
	CodeAuthFailed              = 0x506 // 1286
	CodeUnknownAction           = 0x510 // 1296
	CodeUserNotAuthenticated    = 0x511 // 1297
	CodeSocketIDDoesNotExist    = 0x512 // 1298
	CodeRoomAlreadyJoined       = 0x523 // 1315
	CodeRoomIsFull              = 0x524 // 1316
	CodeReconnectUnknownSocket  = 0x525 // 1317 (SOCKETID_DOES_NOT_EXIST)
	CodeSDPDecode               = 0x528 // 1320
	CodeSDPAlreadyNegotiated    = 0x532 // 1330
	CodeRateLimited             = 0x533 // 1331
	CodeReconnectReplayOverflow = 0x534 // 1332
	CodeMediaUnavailable        = 0x535 // 1333
	CodeFieldInvalid            = 0x536 // 1334
	CodeServerDraining          = 0x537 // 1335
)

// APICoder is implemented by errors of the media plane that carry their own API error code (for instance 1320 for
// an SDP that does not parse). Other media errors are answered 1280.
type APICoder interface {
	APICode() int
}
