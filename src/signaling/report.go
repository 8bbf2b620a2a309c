package signaling

import (
	"encoding/json"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// orientationChange stores the new orientation and tells the others.
func (c *conn) orientationChange(d json.RawMessage) {
	var req orientationRequest
	if !c.decode(protocol.ActionOrientationChange, d, &req) {
		return
	}
	var v validation
	v.required(req.Orientation != nil)
	v.valid(req.Orientation == nil || (*req.Orientation >= 0 && *req.Orientation <= maxOrientation))
	if req.Camera != nil {
		v.text(*req.Camera)
	}
	if v.code != 0 {
		c.fail(protocol.ActionOrientationChange, v.code)
		return
	}
	p, ok := c.lockJoined()
	if !ok {
		c.fail(protocol.ActionOrientationChange, protocol.CodeUserNotAuthenticated)
		return
	}
	defer p.room.mu.Unlock()
	p.orientation = *req.Orientation
	if req.Camera != nil {
		p.camera = *req.Camera
	}
	msg := p.orientationEvent()
	for _, o := range p.room.others(p) {
		o.deliver(msg, c.srv.opts.ReplayLimit)
	}
	c.reply(protocol.ActionOrientationChange, nil)
}

// eventFreeze publishes webrtc.freeze; no reply on success, as in the original.
func (c *conn) eventFreeze(json.RawMessage) {
	p, ok := c.lockJoined()
	if !ok {
		c.fail(protocol.ActionEventFreeze, protocol.CodeUserNotAuthenticated)
		return
	}
	defer p.room.mu.Unlock()
	c.srv.publisher.Publish(bus.WebrtcFreeze{RoomID: p.room.id, SocketID: p.socketID, UserID: p.userID})
}

// eventCPU publishes webrtc.cpu; no reply on success.
func (c *conn) eventCPU(d json.RawMessage) {
	var req cpuRequest
	if !c.decode(protocol.ActionEventCPU, d, &req) {
		return
	}
	var v validation
	v.required(req.CPUUsed != nil)
	v.valid(req.CPUUsed == nil || (*req.CPUUsed >= 0 && *req.CPUUsed <= maxCPUUsed))
	if v.code != 0 {
		c.fail(protocol.ActionEventCPU, v.code)
		return
	}
	p, ok := c.lockJoined()
	if !ok {
		c.fail(protocol.ActionEventCPU, protocol.CodeUserNotAuthenticated)
		return
	}
	defer p.room.mu.Unlock()
	c.srv.publisher.Publish(bus.WebrtcCPU{RoomID: p.room.id, SocketID: p.socketID, UserID: p.userID,
		CPUUsed: *req.CPUUsed})
}

// eventNetworkChange stores the network type and publishes webrtc.networkChange; no reply on success.
func (c *conn) eventNetworkChange(d json.RawMessage) {
	var req networkChangeRequest
	if !c.decode(protocol.ActionEventNetworkChange, d, &req) {
		return
	}
	var v validation
	v.id(req.NetworkType)
	if v.code != 0 {
		c.fail(protocol.ActionEventNetworkChange, v.code)
		return
	}
	p, ok := c.lockJoined()
	if !ok {
		c.fail(protocol.ActionEventNetworkChange, protocol.CodeUserNotAuthenticated)
		return
	}
	defer p.room.mu.Unlock()
	p.networkType = *req.NetworkType
	c.srv.publisher.Publish(bus.WebrtcNetworkChange{RoomID: p.room.id, SocketID: p.socketID, UserID: p.userID,
		NetworkType: p.networkType})
}
