// Command loadtest loads a running live-webrtcsignaling server the way rooms of real clients do: it opens N
// websockets at a given join rate, joins them into rooms of 2 to 8, then relays ICE candidates (relay mode) or
// messages (MCU mode) between room members at a given rate. Every relayed message carries its send time, so the
// receiving client measures the server's relay latency. It prints join latency, relay latency (p50/p99/max) and,
// given the server's pid, the server's RSS growth per joined connection.
//
// Bearers are signed with -secret (the server's JWT_SECRET, HS256); without it they are fetched from the server's
// dev mode /dev/token. Example, against a server started with JWT_SECRET=s MEDIA_MODE=relay:
//
//	go run ./src/cmd/loadtest -url ws://127.0.0.1:8080/api -secret s -pid $(pidof live-webrtcsignaling) \
//	    -conns 10000 -join-rate 500 -msg-rate 5000 -duration 30s
//
// The server's per-connection rate limit (WS_RATE_LIMIT, 100 messages/s) applies to the senders: the tool spreads
// messages over every joined connection. Both the tool and the server need one file descriptor per connection: the
// tool raises its RLIMIT_NOFILE to the hard limit, the server must be started with enough.
package main
