package signaling

import (
	"errors"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/heytribe/live-webrtcsignaling/src/protocol"
)

// protocolCodes reads the Code* constants of package protocol from its source: name -> value.
func protocolCodes(t *testing.T) map[string]int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../protocol/codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			lit, isLit := spec.Values[i].(*ast.BasicLit)
			if !strings.HasPrefix(name.Name, "Code") || !isLit {
				continue
			}
			v, exact := constant.Int64Val(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
			if !exact {
				t.Fatalf("%s = %s", name.Name, lit.Value)
			}
			codes[name.Name] = int(v)
		}
		return true
	})
	return codes
}

// documentedCodes reads the table of docs/API.md, "Error codes": code -> its hex column.
func documentedCodes(t *testing.T) map[int]string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "\n## Error codes\n")
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile(`(?m)^\| (\d{4}) \| (0x[0-9a-f]+) \|`)
	codes := map[int]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		code, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := codes[code]; dup {
			t.Fatalf("docs/API.md lists %d twice", code)
		}
		codes[code] = m[2]
	}
	if len(codes) < 10 {
		t.Fatalf("found only %v in docs/API.md: the pattern no longer matches", codes)
	}
	return codes
}

// TestErrorCodeTableMatchesProtocol: docs/API.md's table and package protocol's codes are the same set, with the
// same hex values.
func TestErrorCodeTableMatchesProtocol(t *testing.T) {
	documented := documentedCodes(t)
	defined := map[int]bool{}
	for name, code := range protocolCodes(t) {
		defined[code] = true
		hex, ok := documented[code]
		switch {
		case !ok:
			t.Errorf("%s (%d) is not in docs/API.md's error codes", name, code)
		case hex != "0x"+strconv.FormatInt(int64(code), 16):
			t.Errorf("docs/API.md gives %d as %s", code, hex)
		}
	}
	for code := range documented {
		if !defined[code] {
			t.Errorf("docs/API.md lists %d, which package protocol does not define", code)
		}
	}
}

// codeCases make the server answer each documented code, in a case that matches the table's "when".
var codeCases = map[int]func(t *testing.T) (got int){
	protocol.CodeSystem:               mediaFailure(errors.New("plain failure")),
	protocol.CodeSDPDecode:            mediaFailure(codedError(protocol.CodeSDPDecode)),
	protocol.CodeSDPAlreadyNegotiated: mediaFailure(codedError(protocol.CodeSDPAlreadyNegotiated)),
	protocol.CodeSDPRejected:          mediaFailure(codedError(protocol.CodeSDPRejected)),
	protocol.CodeNoOffer:              mediaFailure(codedError(protocol.CodeNoOffer)),
	protocol.CodeMediaCapacity:        mediaFailure(codedError(protocol.CodeMediaCapacity)),
	protocol.CodeJSON: func(t *testing.T) int {
		c := newHarness(t, nil).dial()
		c.sendRaw(`not json`)
		return c.expect("generalR").E
	},
	protocol.CodeJSONFieldMissing: func(t *testing.T) int {
		c := newHarness(t, nil).dial()
		c.sendRaw(`{"a":"join","d":{"roomId":"r"}}`)
		return c.expect("joinR").E
	},
	protocol.CodeAuthFailed: func(t *testing.T) int {
		c := newHarness(t, nil).dial()
		c.sendRaw(`{"a":"join","d":{"roomId":"r","bearer":"not.a.jwt"}}`)
		return c.expect("joinR").E
	},
	protocol.CodeUnknownAction: func(t *testing.T) int {
		c := newHarness(t, nil).dial()
		c.sendRaw(`{"a":"dance"}`)
		return c.expect("danceR").E
	},
	protocol.CodeUserNotAuthenticated: func(t *testing.T) int {
		c := newHarness(t, nil).dial()
		c.sendRaw(`{"a":"leave"}`)
		return c.expect("leaveR").E
	},
	protocol.CodeSocketIDDoesNotExist: func(t *testing.T) int {
		h := newHarness(t, nil)
		c := h.dial()
		c.joinAs(h, "r", "u")
		c.send("sendMessage", map[string]any{"to": "nobody", "message": 1})
		return c.expect("sendMessageR").E
	},
	protocol.CodeRoomAlreadyJoined: func(t *testing.T) int {
		h := newHarness(t, nil)
		c := h.dial()
		c.joinAs(h, "r", "u")
		c.send("join", map[string]any{"roomId": "r", "bearer": h.token("u", "")})
		return c.expect("joinR").E
	},
	protocol.CodeRoomIsFull: func(t *testing.T) int {
		h := newHarness(t, func(o *Options) { o.RoomMaxSize = 1 })
		h.dial().joinAs(h, "r", "u1")
		c := h.dial()
		c.send("join", map[string]any{"roomId": "r", "bearer": h.token("u2", "")})
		return c.expect("joinR").E
	},
	protocol.CodeReconnectUnknownSocket: func(t *testing.T) int {
		h := newHarness(t, nil)
		c := h.dial()
		c.send("reconnect", map[string]any{"socketId": strings.Repeat("ab", 16), "bearer": h.token("u", "")})
		return c.expect("reconnectR").E
	},
	protocol.CodeRateLimited: func(t *testing.T) int {
		c := newHarness(t, func(o *Options) { o.RateLimit, o.RateBurst = 1, 1 }).dial()
		c.sendRaw(`{"a":"dance"}`)
		c.sendRaw(`{"a":"dance"}`)
		c.expect("danceR")
		return c.expect("generalR").E
	},
	protocol.CodeReconnectReplayOverflow: func(t *testing.T) int {
		h := newHarness(t, func(o *Options) { o.ReplayLimit = 1 })
		a, b := h.dial(), h.dial()
		a.joinAs(h, "r", "a")
		jb := b.joinAs(h, "r", "b")
		a.flush()
		b.drop()
		h.awayIn(jb.SocketID)
		for range 2 {
			a.send("sendMessage", map[string]any{"to": jb.SocketID, "message": 1})
			a.expect("sendMessageR")
		}
		c := h.dial()
		c.send("reconnect", map[string]any{"socketId": jb.SocketID, "bearer": h.token("b", "")})
		return c.expect("reconnectR").E
	},
	protocol.CodeMediaUnavailable: func(t *testing.T) int {
		h := newHarness(t, mcu)
		c := h.dial()
		c.joinAs(h, "r", "u")
		c.send("exchangeSdp", map[string]any{"to": protocol.PublisherSocketID, "sdp": map[string]any{"type": "offer",
			"sdp": "v=0"}})
		return c.expect("exchangeSdpR").E
	},
	protocol.CodeFieldInvalid: func(t *testing.T) int {
		h := newHarness(t, nil)
		c := h.dial()
		c.joinAs(h, "r", "u")
		c.send("orientationChange", map[string]any{"orientation": 400})
		return c.expect("orientationChangeR").E
	},
	protocol.CodeServerDraining: func(t *testing.T) int {
		h := newHarness(t, nil)
		h.srv.Drain()
		c := h.dial()
		c.send("join", map[string]any{"roomId": "r", "bearer": h.token("u", "")})
		return c.expect("joinR").E
	},
	protocol.CodeUserSocketLimit: func(t *testing.T) int {
		h := newHarness(t, func(o *Options) { o.SocketsPerUser = 1 })
		h.dial().joinAs(h, "r1", "u")
		c := h.dial()
		c.send("join", map[string]any{"roomId": "r2", "bearer": h.token("u", "")})
		return c.expect("joinR").E
	},
}

// mediaFailure makes the media plane fail an upstream offer with err: the server answers its code (APICoder),
// else 1280.
func mediaFailure(err error) func(t *testing.T) int {
	return func(t *testing.T) int {
		h := newHarnessWithMedia(t, mcu, &fakeMedia{failure: err})
		c := h.dial()
		c.joinAs(h, "r", "u")
		c.send("exchangeSdp", map[string]any{"to": protocol.PublisherSocketID, "sdp": map[string]any{"type": "offer",
			"sdp": "v=0"}})
		return c.expect("exchangeSdpR").E
	}
}

// TestEveryDocumentedCodeIsSent walks docs/API.md's error codes: each is answered by the server in a case of its
// own (the media plane's codes through a media plane failing with them).
func TestEveryDocumentedCodeIsSent(t *testing.T) {
	for code := range documentedCodes(t) {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			run, ok := codeCases[code]
			if !ok {
				t.Fatalf("no case sends %d", code)
			}
			if got := run(t); got != code {
				t.Fatalf("answered %d, want %d", got, code)
			}
		})
	}
}

// TestWrongTypesAndNullMessages: a non-object sdp or candidate is of the wrong type (1282, as docs/API.md says of
// every field), and a null message is a missing one (1283), not relayed.
func TestWrongTypesAndNullMessages(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.dial(), h.dial()
	a.joinAs(h, "r", "a")
	jb := b.joinAs(h, "r", "b")
	a.flush()
	to := `"to":"` + jb.SocketID + `"`
	for _, tt := range []struct {
		action, frame string
		code          int
	}{
		{"exchangeSdp", `{"a":"exchangeSdp","d":{` + to + `,"sdp":"v=0"}}`, protocol.CodeJSON},
		{"exchangeSdp", `{"a":"exchangeSdp","d":{` + to + `,"sdp":[1]}}`, protocol.CodeJSON},
		{"exchangeSdp", `{"a":"exchangeSdp","d":{` + to + `,"sdp":null}}`, protocol.CodeJSONFieldMissing},
		{"exchangeCandidate", `{"a":"exchangeCandidate","d":{` + to + `,"candidate":"candidate:1"}}`, protocol.CodeJSON},
		{"exchangeCandidate", `{"a":"exchangeCandidate","d":{` + to + `,"candidate":7}}`, protocol.CodeJSON},
		{"sendMessage", `{"a":"sendMessage","d":{` + to + `,"message":null}}`, protocol.CodeJSONFieldMissing},
		{"sendMessage", `{"a":"sendMessage","d":{` + to + `,"message": null }}`, protocol.CodeJSONFieldMissing},
	} {
		a.sendRaw(tt.frame)
		a.expectError(tt.action, tt.code)
	}
	// Nothing reached the peer.
	b.barrier()
}
