package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Thresholds of the media issue's proof: a receiver decodes more than mcuFrames frames of every other participant's
// video and receives more than mcuAudioPackets of its audio, then the frames keep growing.
const (
	mcuFrames       = 30
	mcuAudioPackets = 50
)

// mcuServer starts the server in MCU mode (the default) with its media on loopback.
func mcuServer(t *testing.T) *server {
	t.Helper()
	return startServer(t, map[string]string{"MEDIA_MODE": "mcu", "PUBLIC_IPV4": "127.0.0.1", "UDP_PORT": "0"})
}

// TestMCUThreePagesLeaveAndRejoin has three publishing pages, VP8 forced with setCodecPreferences, decode and hear
// each other through the server; then carol presses Leave, alice and bob drop her stream, and when she presses Join
// again (a new socketId) all three decode each other again.
func TestMCUThreePagesLeaveAndRejoin(t *testing.T) {
	srv := mcuServer(t)
	reps := newReports(t)
	users := []string{"alice", "bob", "carol"}
	pages := make(map[string]*drivenPage)
	for _, u := range users {
		pages[u] = startDrivenPage(t, u)
		pages[u].navigate(clientURL(srv.URL, page{Room: "mcu-three", User: u, Codec: "VP8"}, reps.url(u)))
	}
	before := waitMCUFlowing(t, reps, users, users, "video/VP8")

	pages["carol"].eval(`document.querySelector('button[name=leave]').click()`, nil)
	reps.waitFor(t, recoveryTimeout, "carol has left and alice and bob dropped her stream",
		func(all map[string]report) bool {
			if all["carol"].State != "idle" {
				return false
			}
			for _, u := range []string{"alice", "bob"} {
				if _, ok := all[u].peer("carol"); ok || !all[u].received("eventLeave") {
					return false
				}
			}
			return true
		})

	pages["carol"].eval(`document.getElementById('join').requestSubmit()`, nil)
	oldCarol := before["carol"].SocketID
	reps.waitFor(t, firstMediaTimeout, "carol back with a new socketId, seen by alice and bob",
		func(all map[string]report) bool {
			carol := all["carol"]
			if !carol.Joined || carol.SocketID == oldCarol || carol.Rejoins != 0 {
				return false
			}
			for _, u := range []string{"alice", "bob"} {
				if p, ok := all[u].peer("carol"); !ok || p.SocketID != carol.SocketID {
					return false
				}
			}
			return true
		})
	waitMCUFlowing(t, reps, users, users, "video/VP8")
}

// TestMCUReceiveOnlyH264AndLoss has two pages publish H264, forced with setCodecPreferences, and a receive-only
// page decode both. Then every loopback packet of the namespace gets a 5% chance of loss (randomLoss): the
// receivers ask for retransmissions (nackCount grows) and video keeps decoding.
func TestMCUReceiveOnlyH264AndLoss(t *testing.T) {
	srv := mcuServer(t)
	reps := newReports(t)
	publishers, all := []string{"alice", "bob"}, []string{"alice", "bob", "carol"}
	for _, u := range publishers {
		startPage(t, srv.URL, page{Room: "mcu-h264", User: u, Codec: "H264"}, reps)
	}
	startPage(t, srv.URL, page{Room: "mcu-h264", User: "carol", Codec: "H264", RecvOnly: true}, reps)
	flowing := waitMCUFlowing(t, reps, all, publishers, "video/H264")
	carol := flowing["carol"]
	if carol.Publishing || carol.Upstream != nil {
		t.Errorf("carol is receive-only, yet publishing %v, upstream %+v", carol.Publishing, carol.Upstream)
	}
	for _, u := range publishers {
		if p, ok := flowing[u].peer("carol"); ok {
			t.Errorf("%s has a connection from the receive-only carol: %+v", u, p)
		}
	}

	t.Run("5% loss", func(t *testing.T) {
		randomLoss(t, 5)
		nacks := func(all map[string]report) int64 {
			var n int64
			for _, to := range all {
				for _, p := range to.Peers {
					n += p.NackCount
				}
			}
			return n
		}
		start := nacks(flowing)
		lossy := reps.waitFor(t, recoveryTimeout, "NACKs from the receivers", func(all map[string]report) bool {
			return nacks(all) > start
		})
		after := reps.waitFor(t, recoveryTimeout, fmt.Sprintf("%d more frames decoded everywhere under loss",
			mcuFrames), receiving(all, publishers, beyond(framesDecoded(lossy, all), mcuFrames), 0))
		for _, to := range all {
			for _, p := range after[to].Peers {
				t.Logf("under loss %s receives %s: %d frames, %d NACKs", to, p.UserID, p.FramesDecoded, p.NackCount)
			}
		}
	})
}

// waitMCUFlowing waits until every receiver decodes more than mcuFrames frames of each sender's video and receives
// more than mcuAudioPackets of its audio, then until the frames grow again with every sender's upstream up; it
// checks the codecs and the pages' state and returns the last reports.
func waitMCUFlowing(t *testing.T, reps *reports, receivers, senders []string, codec string) map[string]report {
	t.Helper()
	what := fmt.Sprintf("%v decode %d frames and receive %d audio packets of each of %v", receivers, mcuFrames,
		mcuAudioPackets, senders)
	flowing := reps.waitFor(t, firstMediaTimeout, what, receiving(receivers, senders,
		func(string, string) int64 { return mcuFrames }, mcuAudioPackets))
	later := reps.waitFor(t, recoveryTimeout, "frames still growing, and every sender's upstream up",
		allOf(receiving(receivers, senders, beyond(framesDecoded(flowing, receivers), 0), 0), upstreamsUp(senders)))
	for _, from := range senders {
		if up := later[from].Upstream; up.SendCodec != codec {
			t.Errorf("%s sends %s upstream, want %s", from, up.SendCodec, codec)
		}
	}
	for _, to := range receivers {
		r := later[to]
		if r.Mode != "mcu" || len(r.Errors) > 0 {
			t.Errorf("%s: mode %q, errors %q", to, r.Mode, r.Errors)
		}
		for _, from := range senders {
			if from == to {
				continue
			}
			p, _ := r.peer(from)
			if p.Codec != codec {
				t.Errorf("%s receives %s's video in %s, want %s", to, from, p.Codec, codec)
			}
			t.Logf("%s receives %s: %d frames %dx%d %s, %d audio packets, %d NACKs", to, from, p.FramesDecoded,
				p.FrameWidth, p.FrameHeight, p.Codec, p.PacketsReceivedAudio, p.NackCount)
		}
	}
	return later
}

// receiving holds when every receiver has an up and connected connection from every sender but itself, decoding
// more frames than minFrames(receiver, sender) with a size, and more than minAudio audio packets.
func receiving(receivers, senders []string, minFrames func(to, from string) int64,
	minAudio int64) func(map[string]report) bool {
	return func(all map[string]report) bool {
		for _, to := range receivers {
			rep, ok := all[to]
			if !ok || !rep.Joined {
				return false
			}
			for _, from := range senders {
				if from == to {
					continue
				}
				p, ok := rep.peer(from)
				if !ok || !p.Up || p.ConnectionState != "connected" || p.FramesDecoded <= minFrames(to, from) ||
					p.FrameWidth == 0 || p.PacketsReceivedAudio <= minAudio {
					return false
				}
			}
		}
		return true
	}
}

// upstreamsUp holds when every sender's page has its camera open and its upstream to the server up and sending
// video.
func upstreamsUp(senders []string) func(map[string]report) bool {
	return func(all map[string]report) bool {
		for _, u := range senders {
			r := all[u]
			if !r.Publishing || r.Upstream == nil || !r.Upstream.Up || r.Upstream.PacketsSent == 0 ||
				r.Upstream.SendCodec == "" {
				return false
			}
		}
		return true
	}
}

// beyond is a minFrames of n more than frames (framesDecoded's counts).
func beyond(frames map[string]map[string]int64, n int64) func(to, from string) int64 {
	return func(to, from string) int64 { return frames[to][from] + n }
}

// randomLoss makes the namespace's loopback drop each packet it sends with probability percent/100 until the end
// of the test. It does what `tc qdisc add dev lo root netem loss 5%` would, without netem: this machine's kernel
// is built without it (CONFIG_NET_SCH_NETEM is not set, there are no modules to load, and tc answers "Specified
// qdisc kind is unknown"), while HTB, the BPF classifier and pfifo are built in. An HTB root sorts packets into two classes with a classic BPF classifier
// that reads a random number (the SKF_AD_RANDOM ancillary load): the chosen share goes to class 1:2, whose queue
// holds no packet.
func randomLoss(t *testing.T, percent int) {
	t.Helper()
	threshold := uint64(1<<32) * uint64(100-percent) / 100
	// ld rand; jge threshold -> ret 1:2 (drop); ret 0 (no match: default class 1:1).
	program := fmt.Sprintf("4,32 0 0 %d,53 1 0 %d,6 0 0 0,6 0 0 %d", uint32(0xfffff000+56), threshold, 1<<16|2)
	steps := [][]string{
		{"qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "1"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:2", "htb", "rate", "10gbit"},
		{"qdisc", "add", "dev", "lo", "parent", "1:2", "handle", "20:", "pfifo", "limit", "0"},
		{"filter", "add", "dev", "lo", "parent", "1:", "protocol", "all", "prio", "1", "bpf", "bytecode", program},
	}
	t.Cleanup(func() {
		if out, err := exec.Command("tc", "qdisc", "del", "dev", "lo", "root").CombinedOutput(); err != nil {
			t.Errorf("tc qdisc del dev lo root: %v: %s", err, strings.TrimSpace(string(out)))
		}
	})
	for _, args := range steps {
		if out, err := exec.Command("tc", args...).CombinedOutput(); err != nil {
			t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
}
