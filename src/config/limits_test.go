package config

import (
	"strings"
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/defaults"
)

// TestLoadLimits: the limits against hostile clients default to package defaults, are read from the environment,
// and byte bounds that cannot hold a largest message (or a replay in a send queue) stop the start.
func TestLoadLimits(t *testing.T) {
	c, err := Load(env(map[string]string{"JWT_SECRET": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WSSendQueueBytes != defaults.WSSendQueueBytes || c.WSReplayBytes != defaults.WSReplayBytes ||
		c.WSQueuedBytesTotal != defaults.WSQueuedBytesTotal || c.WSUserRateLimit != defaults.WSUserRateLimit ||
		c.WSUserRateBurst != defaults.WSUserRateBurst || c.WSJoinTimeout != defaults.WSJoinTimeout ||
		c.WSUnauthPerAddress != defaults.WSUnauthPerAddress || c.WSUnauthTotal != defaults.WSUnauthTotal ||
		c.WSSocketsPerUser != defaults.WSSocketsPerUser {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = Load(env(map[string]string{"JWT_SECRET": "x", "WS_JOIN_TIMEOUT": "3s", "WS_UNAUTH_PER_ADDRESS": "5",
		"WS_SOCKETS_PER_USER": "2", "WS_SEND_QUEUE_BYTES": "4194304"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.WSJoinTimeout != 3*time.Second || c.WSUnauthPerAddress != 5 || c.WSSocketsPerUser != 2 ||
		c.WSSendQueueBytes != 4<<20 {
		t.Fatalf("read: %+v", c)
	}
	for _, tt := range []struct {
		env      map[string]string
		variable string
	}{
		{map[string]string{"WS_REPLAY_BYTES": "65536"}, "WS_REPLAY_BYTES"},
		{map[string]string{"WS_MAX_MESSAGE_BYTES": "1048576"}, "WS_REPLAY_BYTES"},
		{map[string]string{"WS_SEND_QUEUE_BYTES": "524288"}, "WS_SEND_QUEUE_BYTES"},
		{map[string]string{"WS_QUEUED_BYTES_TOTAL": "1048575"}, "WS_QUEUED_BYTES_TOTAL"},
		{map[string]string{"WS_JOIN_TIMEOUT": "500ms"}, "WS_JOIN_TIMEOUT"},
		{map[string]string{"WS_UNAUTH_TOTAL": "0"}, "WS_UNAUTH_TOTAL"},
		{map[string]string{"WS_SOCKETS_PER_USER": "many"}, "WS_SOCKETS_PER_USER"},
		{map[string]string{"WS_USER_RATE_LIMIT": "0"}, "WS_USER_RATE_LIMIT"},
	} {
		tt.env["JWT_SECRET"] = "x"
		if _, err := Load(env(tt.env)); err == nil || !strings.Contains(err.Error(), tt.variable) {
			t.Errorf("%v: err = %v, want one naming %s", tt.env, err, tt.variable)
		}
	}
}
