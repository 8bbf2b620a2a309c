// Package cluster coordinates the nodes of a cluster through RabbitMQ: which nodes are alive and how loaded, which
// node owns each room, and messages between nodes and to a room's owner.
//
//	cfg := cluster.DefaultConfig()
//	cfg.URL, cfg.NodeID = rabbitMQURL, "node-a"
//	cfg.Load = func() cluster.Load { return cluster.Load{Rooms: ..., Participants: ..., CPU: ...} }
//	cfg.Handler = func(ctx context.Context, d *cluster.Delivery) { ... d.Reply(...) when d.IsRequest() }
//	cfg.OnEvent = func(e cluster.Event) { ... NodeDown, RoomLost ... }
//	node, err := cluster.NewNodeWith(cfg, logger) // connects in the background; node.Ready(ctx) waits
//	owner, err := node.Place(ctx, roomID)         // the first join of a room: its owner, placing it if needed
//	err = node.Send(ctx, cluster.RoomAddress(roomID), cluster.Message{Kind: "signal", Socket: id, Body: frame})
//	reply, err := node.Request(ctx, cluster.NodeAddress(owner), msg)
//	...
//	err = node.Close(ctx) // announces the departure, closes the connection: its rooms are free again
//
// Every node announces itself and its Load on a fanout exchange every AnnounceInterval; a node silent for
// DeadAfter of its intervals is dead (Event NodeDown). A room belongs to the node whose connection holds the
// room's exclusive queue: the broker lets one connection declare it, refuses the others (405 RESOURCE_LOCKED) and
// deletes it when that connection ends, so ownership is exclusive cluster-wide and is released by a crash. The
// room's queue is also its inbox: messages to a room go to its owner, whoever it is, and come back from the
// broker (ErrNoRoute) when the room has no owner. Each node also has an inbox of its own.
//
// The Node reconnects by itself; on a new connection it claims its rooms again and reports those another node
// took meanwhile (Event RoomLost). docs/ARCHITECTURE.md, "Cluster", gives the design and what AMQP guarantees;
// docs/OPERATIONS.md, "Cluster", the settings and figures.
package cluster
