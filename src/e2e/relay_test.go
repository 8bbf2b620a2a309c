package e2e

import (
	"testing"
	"time"

	"github.com/heytribe/live-webrtcsignaling/src/auth"
)

// Chromium needs a few seconds to start and more on a busy machine: conditions get generous deadlines.
const (
	firstMediaTimeout = 90 * time.Second
	recoveryTimeout   = 60 * time.Second
)

// TestRelayPagesDecodeEachOther is `make run` as a newcomer uses it: a dev mode server in relay mode, two pages in
// one room, each decoding the other's camera and hearing its microphone.
func TestRelayPagesDecodeEachOther(t *testing.T) {
	srv := startServer(t, map[string]string{"MEDIA_MODE": "relay"})
	reps := newReports(t)
	users := []string{"alice", "bob"}
	for _, u := range users {
		startPage(t, srv.URL, page{Room: "relay-room", User: u}, reps)
	}
	// Publishing is waited for too: a page's latest report may predate the camera the other page already decodes.
	decodes := decoding(users, nil)
	all := reps.waitFor(t, firstMediaTimeout, "both pages publish, decode and hear each other",
		func(all map[string]report) bool {
			if !decodes(all) {
				return false
			}
			for _, u := range users {
				p, _ := all[u].peer(other(users, u))
				// The connection's state is waited for too: Chromium may decode a moment before it reports
				// "connected" on a loaded machine.
				if !all[u].Publishing || p.PacketsReceivedAudio == 0 || p.ConnectionState != "connected" {
					return false
				}
			}
			return true
		})
	for _, u := range users {
		r := all[u]
		p, _ := r.peer(other(users, u))
		if r.Mode != "relay" || !r.Publishing || r.UserID != u || len(r.SocketID) != 32 {
			t.Errorf("%s: mode %q, publishing %v, userId %q, socketId %q: want relay, publishing, %s, 32 hex digits",
				u, r.Mode, r.Publishing, r.UserID, r.SocketID, u)
		}
		if p.Codec == "" || p.ConnectionState != "connected" {
			t.Errorf("%s receiving %s: codec %q, connection %q", u, p.UserID, p.Codec, p.ConnectionState)
		}
		if len(r.Errors) > 0 {
			t.Errorf("%s showed errors: %q", u, r.Errors)
		}
	}
}

// TestRelayReceiveOnlyWithForcedCodec has a page that opens no camera receive another that publishes, both
// forcing VP9 (the client's codec= hook): whichever offers, VP9 must be what flows.
func TestRelayReceiveOnlyWithForcedCodec(t *testing.T) {
	srv := startServer(t, map[string]string{"MEDIA_MODE": "relay"})
	reps := newReports(t)
	startPage(t, srv.URL, page{Room: "recvonly-room", User: "alice", Codec: "VP9"}, reps)
	startPage(t, srv.URL, page{Room: "recvonly-room", User: "bob", Codec: "VP9", RecvOnly: true}, reps)
	// Bob may decode alice before alice's next report says she opened her camera: both are waited for, and
	// alice's connection to bob must be sending in her report for the check of what she received to mean anything.
	all := reps.waitFor(t, firstMediaTimeout, "bob decodes alice, and alice publishes to bob",
		func(all map[string]report) bool {
			alice := all["alice"]
			fromAlice, _ := all["bob"].peer("alice")
			toBob, ok := alice.peer("bob")
			return fromAlice.FramesDecoded > 0 && fromAlice.FrameWidth > 0 && alice.Publishing && ok &&
				toBob.PacketsSent > 0
		})
	alice, bob := all["alice"], all["bob"]
	if p, _ := bob.peer("alice"); p.Codec != "video/VP9" {
		t.Errorf("bob decodes alice's %q, want video/VP9", p.Codec)
	}
	if p, _ := alice.peer("bob"); p.PacketsReceivedVideo != 0 || p.PacketsReceivedAudio != 0 {
		t.Errorf("alice received %d video and %d audio packets from a receive-only page", p.PacketsReceivedVideo,
			p.PacketsReceivedAudio)
	}
	if bob.Publishing || !alice.Publishing {
		t.Errorf("publishing: alice %v, bob %v; want true, false", alice.Publishing, bob.Publishing)
	}
	for _, r := range []report{alice, bob} {
		if len(r.Errors) > 0 {
			t.Errorf("%s showed errors: %q", r.UserID, r.Errors)
		}
	}
}

// TestRelayRecoversFromNetworkDrop cuts alice's websocket without a close frame, as a network loss does. Within the
// grace period alice reconnects and keeps her place and her calls; with no grace she has left, and joins again as
// a newcomer. Either way both pages decode each other again, and nobody sees an error. Bearers are signed here (the
// server is not in dev mode), and reach the pages in the URL fragment.
func TestRelayRecoversFromNetworkDrop(t *testing.T) {
	cases := []struct {
		name   string
		grace  string
		rejoin bool
	}{
		{name: "reconnect within grace", grace: "30s"},
		{name: "join again after grace", grace: "0s", rejoin: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const room = "drop-room"
			secret := []byte("e2e-secret-e2e-secret-e2e-secret")
			srv := startServer(t, map[string]string{
				"MEDIA_MODE": "relay", "JWT_SECRET": string(secret), "RECONNECT_GRACE": tc.grace,
			})
			reps := newReports(t)
			aliceNet := newDropProxy(t, srv.Addr)
			users := []string{"alice", "bob"}
			for _, u := range users {
				bearer, err := auth.SignHS256(secret, u, room, time.Now(), time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				base := srv.URL
				if u == "alice" {
					base = aliceNet.URL
				}
				startPage(t, base, page{Room: room, User: u, Bearer: bearer}, reps)
			}
			before := reps.waitFor(t, firstMediaTimeout, "both pages decode each other before the drop",
				decoding(users, nil))

			if n := aliceNet.Drop(); n == 0 {
				t.Fatal("alice has no connection through her proxy")
			}
			// After a reconnect the same connections go on, so the frame counts must grow; after a rejoin they are new.
			var min map[string]map[string]int64
			if !tc.rejoin {
				min = framesDecoded(before, users)
			}
			decodes := decoding(users, min)
			after := reps.waitFor(t, recoveryTimeout, "alice back in the room and both decoding again",
				func(all map[string]report) bool {
					alice, bob := all["alice"], all["bob"]
					back := alice.Reconnects == 1
					if tc.rejoin {
						p, _ := bob.peer("alice")
						back = alice.Rejoins == 1 && p.SocketID == alice.SocketID && bob.received("eventLeave")
					}
					return back && decodes(all)
				})

			alice, bob := after["alice"], after["bob"]
			sameID := alice.SocketID == before["alice"].SocketID
			if sameID == tc.rejoin {
				t.Errorf("alice's socketId went from %s to %s (rejoin %v)", before["alice"].SocketID, alice.SocketID,
					tc.rejoin)
			}
			if bob.received("eventLeave") != tc.rejoin {
				t.Errorf("bob received eventLeave: %v, want %v", bob.received("eventLeave"), tc.rejoin)
			}
			if alice.Reconnects+alice.Rejoins != 1 {
				t.Errorf("alice reconnected %d times and joined again %d times, want 1 in all",
					alice.Reconnects, alice.Rejoins)
			}
			for _, u := range users {
				if errs := after[u].Errors; len(errs) > 0 {
					t.Errorf("%s showed errors: %q", u, errs)
				}
			}
		})
	}
}

// framesDecoded is, per receiver then sender, how many frames each page had decoded.
func framesDecoded(all map[string]report, users []string) map[string]map[string]int64 {
	out := make(map[string]map[string]int64)
	for _, to := range users {
		out[to] = make(map[string]int64)
		for _, from := range users {
			if p, ok := all[to].peer(from); ok {
				out[to][from] = p.FramesDecoded
			}
		}
	}
	return out
}

// other is the user of a pair that is not u.
func other(pair []string, u string) string {
	if pair[0] == u {
		return pair[1]
	}
	return pair[0]
}
