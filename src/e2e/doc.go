// Package e2e holds the browser tests: real headless Chromium pages run the reference web client (src/web) against
// the real server binary, and report what they decode.
//
// A plain `go test ./src/e2e/` is isolated: TestMain re-executes the test binary inside a fresh network and PID
// namespace that has only loopback (unshare -n -p -f --mount-proc, `ip link set lo up`), so no packet leaves
// 127.0.0.1 and every process the tests start dies with the namespace. The tests fail, rather than skip, when the
// namespace cannot be made (they need root or unprivileged user namespaces).
//
// The harness, in the package's test files, is meant for more tests (MCU, codecs, receive-only, loss):
//
//   - startServer builds the server once per test binary and starts it with the environment a test gives
//     (PORT_NUMBER=0, BIND_ADDRESS=127.0.0.1, ADMIN_ADDR="", LOG_FORMAT=json, DRAIN_TIMEOUT=0s are set; add
//     MEDIA_MODE, JWT_SECRET, RECONNECT_GRACE, ...). It stops it with SIGTERM at the end and fails the test if it
//     does not exit cleanly. With E2E_SERVER set to a command, that command runs the server instead, with the same
//     environment: `make image-test` runs the release image's server this way (scripts/image-server.sh).
//   - newReports starts the HTTP server the pages post their summaries to (the client's report= hook, CORS
//     answered); waitFor blocks until a condition over the latest reports holds, or fails the test with them.
//     Pages report at their own pace: the condition names everything the test then relies on (see waitFor).
//   - startPage runs one headless Chromium (the flags of environment.md, a fresh profile, its own process group,
//     killed at the end) on a client URL built from a page description (room, user, codec, receive-only, bearer).
//   - newDropProxy is a TCP proxy between a page and the server whose Drop cuts every connection without a
//     websocket close frame, as a network loss does.
//   - page.Ordinary runs a page as an ordinary browser: without --allow-loopback-in-peer-connection, so it gathers
//     candidates on real interfaces only; addTestLink gives the namespace one (a veth pair to a second namespace,
//     198.18.0.0/15 or 2001:2::/48 addresses, no route out, deleted at the end of the test), dropUDPTo drops UDP to
//     a port with nftables, and the pages report each connection's selected candidate pair (report path).
//   - tc works inside the namespace, but the kernels of the build machines lack sch_netem, so
//     `tc qdisc ... netem` fails ("Specified qdisc kind is unknown"): randomLoss drops a share of the loopback
//     packets with an HTB root and a classic BPF classifier, and blockUDP cuts UDP with a u32 one, both into a
//     class whose queue holds no packet.
//   - newCluster starts a RabbitMQ node of the test's own (brokertest.PrivateBroker) and startNodes three servers
//     with CLUSTER=on, NODE_IDs of their own, their own HTTP, admin and UDP ports on 127.0.0.1 and one JWT_SECRET
//     (bearer signs for it); a node is killed with SIGKILL (Kill) and started again on its addresses (Restart);
//     roomOwners reads each room's owner from the broker itself (rabbitmqctl), newOwnerAfterKill the new owner
//     and, from its log, when it claimed the room; every node's log is shown when the test fails. frontProxy is
//     a load balancer in front of the nodes: each connection goes to the first live node of a page's list.
//
// Each page is a whole Chromium sending and decoding video (docs/OPERATIONS.md, "Measured figures", says what one
// costs): keep tests at 2-3 pages and run them one at a time.
package e2e
