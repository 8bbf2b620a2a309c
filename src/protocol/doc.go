// Package protocol is the vocabulary of the client API (docs/API.md): the names of the actions and events, the
// error codes, the media modes, the pseudo socketId "publisher", and the payloads of the events the server sends.
// It holds no logic and imports nothing of the project, so that every package that speaks to clients, the
// signaling server and the media plane alike, takes the same names and shapes from one place:
//
//	notifier.Send(socketID, protocol.EventWebrtcUp, protocol.WebrtcUpEvent{
//		From: protocol.From{SocketID: protocol.PublisherSocketID}})
//
// A name or code changes here or nowhere: clients depend on every one of them.
package protocol
