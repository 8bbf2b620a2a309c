package cluster

import (
	"context"
	"errors"
)

// Place returns the owner of room, placing the room first when it has none: the first join of a room, on any
// node, calls it.
//
//  1. When this node owns the room, or the room's owner answers "who owns this room?" through the room's queue,
//     that is the owner.
//  2. Otherwise the room goes to the least loaded live node (NodeInfo, Load): when that is this node, it claims the
//     room; else it asks that node to claim it and waits for the answer up to Config.PlacementTimeout.
//  3. When the chosen node refuses (it drains), is gone, or does not answer in time, this node claims the room
//     itself.
//
// Claims are exclusive cluster-wide (Claim), so nodes placing one room at once agree on one owner whatever the
// timing. It fails with ErrOwnerUnreachable when the room has an owner that does not answer (a frozen node, until
// the broker closes its connection), ErrNotConnected, or the context's error.
func (n *Node) Place(ctx context.Context, room string) (string, error) {
	if !validField(room, false) {
		return "", errors.New("cluster: a room id is 1 to 1024 bytes")
	}
	if n.Owns(room) {
		return n.cfg.NodeID, nil
	}
	owner, err := n.askOwner(ctx, room)
	switch {
	case err == nil:
		return owner, nil
	case errors.Is(err, ErrOwnerUnreachable):
		// A queue without an answer: its owner is frozen, or it is placing the room right now and has not begun
		// consuming. A claim tells the two apart: the second answers the loser's question.
		return n.Claim(ctx, room)
	case !errors.Is(err, ErrNoRoute):
		return "", err
	}
	n.stats.placements.Add(1)
	target := n.chooseNode()
	if target == n.cfg.NodeID {
		return n.Claim(ctx, room)
	}
	owner, err = n.askToClaim(ctx, target, room)
	if err == nil {
		n.stats.placedRemotely.Add(1)
		n.log.Info("cluster: room placed on another node", "roomId", room, "owner", owner, "chosen", target)
		return owner, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	n.stats.placementFallbacks.Add(1)
	n.log.Warn("cluster: the chosen node did not take the room; claiming it here", "roomId", room,
		"chosen", target, "err", err)
	return n.Claim(ctx, room)
}

// chooseNode picks the node for a new room and counts the room on it until its next announcement. A leaving
// node places rooms elsewhere, on itself only when it is alone.
func (n *Node) chooseNode() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.leaving.Load() {
		n.reg.selfLoad.Draining = true
	}
	target := n.reg.choose()
	n.reg.placed(target)
	return target
}

// errRefused: the chosen node takes no new rooms.
var errRefused = errors.New("cluster: the chosen node takes no new rooms")

// askToClaim asks node to claim room and returns the owner it reports.
func (n *Node) askToClaim(ctx context.Context, node, room string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PlacementTimeout)
	defer cancel()
	rep, err := n.request(ctx, n.names.nodeQueue(node), Message{Kind: kindClaim, Room: room})
	switch {
	case err != nil:
		return "", err
	case rep.msg.Kind == kindRefused:
		return "", errRefused
	case rep.msg.Kind != kindOwned || !ValidNodeID(string(rep.msg.Body)):
		return "", errors.New("cluster: unexpected answer to a claim request")
	}
	return string(rep.msg.Body), nil
}
