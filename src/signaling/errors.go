package signaling

// APICoder is implemented by errors of the media plane that carry their own API error code (for instance
// protocol.CodeSDPDecode for an SDP that does not parse). Other media errors are answered protocol.CodeSystem.
type APICoder interface {
	APICode() int
}
