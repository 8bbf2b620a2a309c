// Command live-webrtcsignaling runs the signaling server: it loads the configuration from the environment
// (docs/OPERATIONS.md), serves the websocket API on /api, the reference web client on / and /healthz on the public
// listener, the admin endpoints on ADMIN_ADDR, and drains on SIGTERM or SIGINT.
package main
