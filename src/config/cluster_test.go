package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoadClusterDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster || c.ClusterNamespace != "live" || c.ClusterAnnounceInterval != time.Second ||
		c.ClusterDeadAfter != 3 || c.ClusterRoomReleaseAfter != 30*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	if host, err := os.Hostname(); err == nil && clusterName(host, maxClusterNameBytes) && c.NodeID != host {
		t.Fatalf("NODE_ID defaults to %q, want the host's name %q", c.NodeID, host)
	}
}

func TestLoadCluster(t *testing.T) {
	c, err := Load(env(map[string]string{"CLUSTER": "on", "NODE_ID": "node-a.1", "RABBITMQ_URL": "amqp://h/",
		"CLUSTER_NAMESPACE": "prod", "CLUSTER_ANNOUNCE_INTERVAL": "500ms", "CLUSTER_DEAD_AFTER": "4",
		"CLUSTER_ROOM_RELEASE_AFTER": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Cluster || c.NodeID != "node-a.1" || c.ClusterNamespace != "prod" ||
		c.ClusterAnnounceInterval != 500*time.Millisecond || c.ClusterDeadAfter != 4 ||
		c.ClusterRoomReleaseAfter != 2*time.Minute {
		t.Fatalf("%+v", c)
	}
}

func TestLoadClusterRejects(t *testing.T) {
	tests := []struct {
		env      map[string]string
		variable string
	}{
		{map[string]string{"CLUSTER": "on"}, "CLUSTER"},
		{map[string]string{"CLUSTER": "maybe"}, "CLUSTER"},
		{map[string]string{"NODE_ID": ""}, "NODE_ID"},
		{map[string]string{"NODE_ID": "node a"}, "NODE_ID"},
		{map[string]string{"NODE_ID": strings.Repeat("n", 65)}, "NODE_ID"},
		{map[string]string{"CLUSTER_NAMESPACE": "a/b"}, "CLUSTER_NAMESPACE"},
		{map[string]string{"CLUSTER_ANNOUNCE_INTERVAL": "1ms"}, "CLUSTER_ANNOUNCE_INTERVAL"},
		{map[string]string{"CLUSTER_DEAD_AFTER": "1"}, "CLUSTER_DEAD_AFTER"},
		{map[string]string{"CLUSTER_ROOM_RELEASE_AFTER": "0s"}, "CLUSTER_ROOM_RELEASE_AFTER"},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.variable) {
			t.Errorf("%v: err = %v, want one naming %s", tt.env, err, tt.variable)
		}
	}
}
