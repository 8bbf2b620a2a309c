package media

// Reasons the server closes sessions itself, for logs and BYE packets; no eventWebrtcDown is sent for them.
const (
	closeLeft          = "left"
	closePublisherLeft = "publisher-left"
	closeRepublished   = "republished"
	closeShutdown      = "shutdown"
)
