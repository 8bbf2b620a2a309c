package signaling

import (
	"context"
	"encoding/json"

	"github.com/heytribe/live-webrtcsignaling/src/bus"
	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// orientationChange stores the new orientation and tells the others.
func (c *conn) orientationChange(_ context.Context, d json.RawMessage) int {
	var req orientationRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.required(req.Orientation != nil)
	v.valid(req.Orientation == nil || (*req.Orientation >= 0 && *req.Orientation <= maxOrientation))
	if req.Camera != nil {
		v.text(*req.Camera)
	}
	if v.code != 0 {
		return v.code
	}
	return c.inRoom(func(p *participant) int {
		p.orientation = *req.Orientation
		if req.Camera != nil {
			p.camera = *req.Camera
		}
		msg := p.orientationEvent()
		for _, o := range p.room.others(p) {
			o.deliver(msg, c.srv.bounds)
		}
		c.reply(protocol.ActionOrientationChange, nil)
		return 0
	})
}

// eventFreeze publishes webrtc.freeze; no reply on success, as in the original.
func (c *conn) eventFreeze(context.Context, json.RawMessage) int {
	return c.inRoom(func(p *participant) int {
		c.srv.publisher.Publish(bus.WebrtcFreeze{RoomID: p.room.id, SocketID: p.socketID, UserID: p.userID})
		return 0
	})
}

// eventCPU publishes webrtc.cpu; no reply on success.
func (c *conn) eventCPU(_ context.Context, d json.RawMessage) int {
	var req cpuRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.required(req.CPUUsed != nil)
	v.valid(req.CPUUsed == nil || (*req.CPUUsed >= 0 && *req.CPUUsed <= maxCPUUsed))
	if v.code != 0 {
		return v.code
	}
	return c.inRoom(func(p *participant) int {
		c.srv.publisher.Publish(bus.WebrtcCPU{RoomID: p.room.id, SocketID: p.socketID, UserID: p.userID,
			CPUUsed: *req.CPUUsed})
		return 0
	})
}

// eventNetworkChange stores the network type and publishes webrtc.networkChange; no reply on success.
func (c *conn) eventNetworkChange(_ context.Context, d json.RawMessage) int {
	var req networkChangeRequest
	if code := decodeRequest(d, &req); code != 0 {
		return code
	}
	var v validation
	v.id(req.NetworkType)
	if v.code != 0 {
		return v.code
	}
	return c.inRoom(func(p *participant) int {
		p.networkType = *req.NetworkType
		c.srv.publisher.Publish(bus.WebrtcNetworkChange{RoomID: p.room.id, SocketID: p.socketID, UserID: p.userID,
			NetworkType: p.networkType})
		return 0
	})
}
