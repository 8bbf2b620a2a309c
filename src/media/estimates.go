package media

import (
	"cmp"
	"slices"
)

// Kinds of a listener's bandwidth estimate.
const (
	// EstimateTransportCC: the server's own (congestion.SendSide), from the receiver's transport-wide feedback.
	EstimateTransportCC = "tcc"
	// EstimateREMB: the receiver's browser's, from its REMB.
	EstimateREMB = "remb"
)

// ListenerEstimate is the bandwidth estimate of one listener session: what the server knows of the path to the
// receiver, for /state.
type ListenerEstimate struct {
	RoomID    string `json:"roomId"`
	Receiver  string `json:"socketId"`
	Publisher string `json:"publisher"`
	// Kind is EstimateTransportCC or EstimateREMB.
	Kind string `json:"kind"`
	// Bitrate is the estimate in bit/s; Fresh is false before the first one and once it is too old to count.
	Bitrate uint64 `json:"bitrate"`
	Fresh   bool   `json:"fresh"`
	// Loss is the fraction lost over the last report, 0 to 1.
	Loss float64 `json:"loss"`
	// Feedbacks counts the transport-wide feedback packets read, ProbeResults the probe clusters the feedback
	// measured (tcc only).
	Feedbacks    uint64 `json:"feedbacks,omitempty"`
	ProbeResults uint64 `json:"probeResults,omitempty"`
}

// Estimates returns the estimate of every listener session, by room, receiver and publisher.
func (p *Plane) Estimates() []ListenerEstimate {
	now := monotonic()
	p.mu.Lock()
	var out []ListenerEstimate
	for roomID, room := range p.rooms {
		for _, pt := range room {
			for pub, l := range pt.listeners {
				e := l.down.estimator()
				bps, fresh := e.Bitrate(now)
				est := ListenerEstimate{RoomID: roomID, Receiver: pt.socketID, Publisher: pub, Kind: EstimateREMB,
					Bitrate: bps, Fresh: fresh, Loss: e.Loss()}
				if ss := l.down.sendSide.Load(); ss != nil {
					st := ss.Stats()
					est.Kind, est.Feedbacks, est.ProbeResults = EstimateTransportCC, st.Feedbacks, st.ProbeResults
				}
				out = append(out, est)
			}
		}
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b ListenerEstimate) int {
		return cmp.Or(cmp.Compare(a.RoomID, b.RoomID), cmp.Compare(a.Receiver, b.Receiver),
			cmp.Compare(a.Publisher, b.Publisher))
	})
	return out
}
