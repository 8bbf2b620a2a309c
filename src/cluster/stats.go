package cluster

import "sync/atomic"

// Stats are a node's counters since it started, for logs and a /metrics endpoint. Counters only grow; Connected,
// LiveNodes and RoomsOwned are gauges.
type Stats struct {
	// Connected is true while the node's connection is up, its inbox and rooms claimed.
	Connected bool
	// LiveNodes counts the live nodes, this one included.
	LiveNodes int
	// RoomsOwned counts the rooms this node owns.
	RoomsOwned int

	// AnnouncementsSent and AnnouncementsReceived count this node's announcements and the others' (its own, back
	// from the exchange, are not counted); AnnouncementsDropped counts the malformed ones.
	AnnouncementsSent     uint64
	AnnouncementsReceived uint64
	AnnouncementsDropped  uint64

	// ClaimsWon counts the rooms this node claimed; ClaimsLost the claims another node had already won.
	ClaimsWon  uint64
	ClaimsLost uint64
	// RoomsReleased counts the rooms given up by Release; RoomsLost the rooms lost while owned (Event RoomLost).
	RoomsReleased uint64
	RoomsLost     uint64
	// Placements counts the rooms placed by this node (Place with no owner yet); PlacedRemotely those placed on
	// another node; PlacementFallbacks those claimed here because the chosen node did not answer or refused.
	Placements         uint64
	PlacedRemotely     uint64
	PlacementFallbacks uint64

	// MessagesSent counts Send, Request and Reply messages published; MessagesReceived the valid ones delivered to
	// this node (its inbox, its rooms, replies); MessagesReturned those the broker returned for want of a queue (a
	// room without owner, a node gone); MessagesDropped the received ones dropped: malformed, too large, replies
	// that came after their request gave up, or no Handler.
	MessagesSent     uint64
	MessagesReceived uint64
	MessagesReturned uint64
	MessagesDropped  uint64
	// Requests counts Requests sent; RequestTimeouts those that got no reply in time.
	Requests        uint64
	RequestTimeouts uint64
	// HandlerPanics counts panics recovered from the Handler.
	HandlerPanics uint64

	// Connects counts connections established (Connects-1 reconnections); ConnectionErrors counts failed attempts
	// and lost connections.
	Connects         uint64
	ConnectionErrors uint64
}

// counters hold the counters behind Stats, updated without locks.
type counters struct {
	connected                                                         atomic.Bool
	announcementsSent, announcementsReceived, announcementsDropped    atomic.Uint64
	claimsWon, claimsLost, roomsReleased, roomsLost                   atomic.Uint64
	placements, placedRemotely, placementFallbacks                    atomic.Uint64
	messagesSent, messagesReceived, messagesReturned, messagesDropped atomic.Uint64
	requests, requestTimeouts, handlerPanics                          atomic.Uint64
	connects, connectionErrors                                        atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Connected:             c.connected.Load(),
		AnnouncementsSent:     c.announcementsSent.Load(),
		AnnouncementsReceived: c.announcementsReceived.Load(),
		AnnouncementsDropped:  c.announcementsDropped.Load(),
		ClaimsWon:             c.claimsWon.Load(),
		ClaimsLost:            c.claimsLost.Load(),
		RoomsReleased:         c.roomsReleased.Load(),
		RoomsLost:             c.roomsLost.Load(),
		Placements:            c.placements.Load(),
		PlacedRemotely:        c.placedRemotely.Load(),
		PlacementFallbacks:    c.placementFallbacks.Load(),
		MessagesSent:          c.messagesSent.Load(),
		MessagesReceived:      c.messagesReceived.Load(),
		MessagesReturned:      c.messagesReturned.Load(),
		MessagesDropped:       c.messagesDropped.Load(),
		Requests:              c.requests.Load(),
		RequestTimeouts:       c.requestTimeouts.Load(),
		HandlerPanics:         c.handlerPanics.Load(),
		Connects:              c.connects.Load(),
		ConnectionErrors:      c.connectionErrors.Load(),
	}
}
