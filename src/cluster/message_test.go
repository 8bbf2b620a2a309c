package cluster

import (
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestMessageCheck(t *testing.T) {
	long := strings.Repeat("x", MaxFieldBytes+1)
	for name, tc := range map[string]struct {
		m  Message
		ok bool
	}{
		"minimal":        {Message{Kind: "signal"}, true},
		"full":           {Message{Kind: "signal", Room: "salle de réunion", Socket: "s1", Body: []byte("{}")}, true},
		"empty kind":     {Message{}, false},
		"reserved kind":  {Message{Kind: "cluster.owner"}, false},
		"long kind":      {Message{Kind: long}, false},
		"long room":      {Message{Kind: "k", Room: long}, false},
		"long socket":    {Message{Kind: "k", Socket: long}, false},
		"body too large": {Message{Kind: "k", Body: make([]byte, 11)}, false},
	} {
		if err := tc.m.check(10); (err == nil) != tc.ok {
			t.Errorf("%s: check = %v", name, err)
		}
	}
}

func TestAddressQueue(t *testing.T) {
	n := names{ns: "live"}
	for _, tc := range []struct {
		a    Address
		want string
	}{
		{NodeAddress("a"), "live.node.a"},
		{RoomAddress("r1"), "live.room.r1"},
		{NodeAddress("a b"), ""},
		{NodeAddress(""), ""},
		{RoomAddress(""), ""},
		{Address{}, ""},
	} {
		got, err := tc.a.queue(n)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("%v: queue %q, %v; want %q", tc.a, got, err, tc.want)
		}
	}
}

func TestDeliveryRoundTrip(t *testing.T) {
	m := Message{Kind: "signal", Room: "r1", Socket: "s1", Body: []byte(`{"a":"join"}`)}
	p := publishing("node-a", m)
	p.Headers[headerDeadline] = int64(1_700_000_000_123)
	d := amqp.Delivery{Headers: p.Headers, Type: p.Type, Body: p.Body, CorrelationId: "c1", ReplyTo: "amq.gen-1"}
	in, err := decodeDelivery(&d, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if in.from != "node-a" || in.msg.Kind != m.Kind || in.msg.Room != m.Room || in.msg.Socket != m.Socket ||
		string(in.msg.Body) != string(m.Body) || in.reply || in.correlationID != "c1" || in.replyTo != "amq.gen-1" ||
		in.deadline.UnixMilli() != 1_700_000_000_123 {
		t.Fatalf("decoded %+v", in)
	}
}

func TestDeliveryRefused(t *testing.T) {
	good := func() amqp.Delivery {
		return amqp.Delivery{Headers: amqp.Table{headerFrom: "a"}, Type: "signal", Body: []byte("x")}
	}
	for name, change := range map[string]func(*amqp.Delivery){
		"no sender":               func(d *amqp.Delivery) { delete(d.Headers, headerFrom) },
		"sender not a string":     func(d *amqp.Delivery) { d.Headers[headerFrom] = int32(1) },
		"invalid sender":          func(d *amqp.Delivery) { d.Headers[headerFrom] = "a b" },
		"room not a string":       func(d *amqp.Delivery) { d.Headers[headerRoom] = []byte("r") },
		"room too long":           func(d *amqp.Delivery) { d.Headers[headerRoom] = strings.Repeat("r", MaxFieldBytes+1) },
		"socket not a string":     func(d *amqp.Delivery) { d.Headers[headerSocket] = true },
		"reply not a boolean":     func(d *amqp.Delivery) { d.Headers[headerReply] = "yes" },
		"reply without id":        func(d *amqp.Delivery) { d.Headers[headerReply] = true },
		"request without id":      func(d *amqp.Delivery) { d.ReplyTo = "q" },
		"no kind":                 func(d *amqp.Delivery) { d.Type = "" },
		"body too large":          func(d *amqp.Delivery) { d.Body = make([]byte, 11) },
		"correlation id too long": func(d *amqp.Delivery) { d.CorrelationId = strings.Repeat("c", MaxFieldBytes+1) },
	} {
		d := good()
		change(&d)
		if _, err := decodeDelivery(&d, 10); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	d := good()
	if _, err := decodeDelivery(&d, 10); err != nil {
		t.Fatalf("the good delivery is refused: %v", err)
	}
}

func FuzzDecodeDelivery(f *testing.F) {
	f.Add("a", "r1", "s1", "signal", "c1", "", false, []byte("body"))
	f.Add("", "", "", "", "", "q", true, []byte{})
	f.Add("a b", "\xff", strings.Repeat("s", 2000), "cluster.owner", "", "", true, []byte(nil))
	f.Fuzz(func(t *testing.T, from, room, socket, kind, corr, replyTo string, isReply bool, body []byte) {
		h := amqp.Table{headerFrom: from, headerRoom: room, headerSocket: socket}
		if isReply {
			h[headerReply] = true
		}
		d := amqp.Delivery{Headers: h, Type: kind, CorrelationId: corr, ReplyTo: replyTo, Body: body}
		in, err := decodeDelivery(&d, 64)
		if err != nil {
			return
		}
		if !ValidNodeID(in.from) || in.msg.Kind == "" || len(in.msg.Body) > 64 || len(in.msg.Room) > MaxFieldBytes ||
			len(in.msg.Socket) > MaxFieldBytes || (in.reply && in.correlationID == "") ||
			(in.replyTo != "" && in.correlationID == "") {
			t.Fatalf("accepted %+v", in)
		}
	})
}
