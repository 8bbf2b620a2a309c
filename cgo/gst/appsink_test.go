package gst

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAppSrcRequiresABoundedTimedQueue(t *testing.T) {
	tests := []struct {
		name, description, wantErr string
	}{
		{"leaky downstream", "appsrc name=src format=time leaky-type=downstream ! fakesink", ""},
		{"leaky upstream", "appsrc name=src format=time leaky-type=upstream max-buffers=4 ! fakesink", ""},
		{"blocking", "appsrc name=src format=time block=true ! fakesink", ""},
		{"unbounded", "appsrc name=src format=time ! fakesink", "without bound"},
		{"no limit", "appsrc name=src format=time leaky-type=downstream max-bytes=0 ! fakesink", "no queue limit"},
		{"bytes format", "appsrc name=src leaky-type=downstream ! fakesink", "format=time"},
		{"not an appsrc", "fakesrc name=src ! fakesink", "not an appsrc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPipeline(t, tc.description)
			src, err := p.AppSrc("src")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("AppSrc: %v", err)
				}
				if again, err := p.AppSrc("src"); err != nil || again != src {
					t.Fatalf("second AppSrc = %p, %v; want the same %p", again, err, src)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("AppSrc error %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestAppSinkAttachErrors(t *testing.T) {
	p := newTestPipeline(t, "appsrc name=src format=time leaky-type=downstream ! appsink name=sink")
	if _, err := p.AppSink("sink", 0); err == nil {
		t.Error("capacity 0 accepted")
	}
	if _, err := p.AppSink("src", 1); err == nil || !strings.Contains(err.Error(), "not an appsink") {
		t.Errorf("AppSink(src) = %v, want not-an-appsink", err)
	}
	if _, err := p.AppSink("missing", 1); err == nil {
		t.Error("missing appsink accepted")
	}
	mustAppSink(t, p, "sink", 1)
	if _, err := p.AppSink("sink", 1); err == nil || !strings.Contains(err.Error(), "already attached") {
		t.Errorf("second AppSink = %v, want already-attached", err)
	}
}

func TestAppSinkDropsOldestWhenFull(t *testing.T) {
	const pushed, capacity = 10, 2
	ctx := testContext(t)
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4 ! queue ! appsink name=sink sync=false")
	src := mustAppSrc(t, p, "src")
	sink := mustAppSink(t, p, "sink", capacity)
	mustPlay(t, p)
	for i := 0; i < pushed; i++ {
		if err := src.Push([]byte{byte(i)}, time.Duration(i)*time.Millisecond, time.Millisecond); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	// Nothing was read: the streaming thread must not have waited for us.
	kept := drainAfterEOS(ctx, t, p, src, sink)
	if len(kept) != capacity || kept[0].Data[0] != pushed-2 || kept[1].Data[0] != pushed-1 {
		t.Fatalf("kept %+v, want the last %d samples", kept, capacity)
	}
	if got := sink.Dropped(); got != pushed-capacity {
		t.Fatalf("Dropped = %d, want %d", got, pushed-capacity)
	}
}

func TestAppSrcCapsChangeReachesTheSink(t *testing.T) {
	ctx := testContext(t)
	p := newTestPipeline(t, "appsrc name=src format=time is-live=true block=true max-buffers=4"+
		" ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink sync=false")
	src := mustAppSrc(t, p, "src")
	sink := mustAppSink(t, p, "sink", 8)
	if err := src.SetCaps("not caps at all ((("); err == nil {
		t.Fatal("invalid caps accepted")
	}
	if err := src.SetCaps(""); err == nil {
		t.Fatal("empty caps accepted")
	}
	// GStreamer 1.22 crashes comparing such lists with other caps.
	for _, bad := range []string{"video/x-raw,format={ I420, 0312 }", "video/x-raw,format={ }", "video/x-raw,f=< 1, a >"} {
		if err := src.SetCaps(bad); err == nil {
			t.Fatalf("caps %q accepted", bad)
		}
	}
	mustPlay(t, p)
	sizes := []struct{ w, h int }{{160, 120}, {160, 120}, {320, 240}, {320, 240}}
	for i, size := range sizes {
		caps := "video/x-raw,format=I420,framerate=30/1,width=" + strconv.Itoa(size.w) + ",height=" + strconv.Itoa(size.h)
		if err := src.SetCaps(caps); err != nil {
			t.Fatalf("SetCaps(%q): %v", caps, err)
		}
		if err := src.Push(make([]byte, size.w*size.h*3/2), time.Duration(i)*frameTime, frameTime); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	got := drainAfterEOS(ctx, t, p, src, sink)
	if len(got) != len(sizes) {
		t.Fatalf("got %d samples, want %d", len(got), len(sizes))
	}
	for i, s := range got {
		want := "width=(int)" + strconv.Itoa(sizes[i].w)
		if !strings.Contains(s.Caps, want) || len(s.Data) != sizes[i].w*sizes[i].h*3/2 {
			t.Errorf("sample %d: caps %q, %d bytes; want %s", i, s.Caps, len(s.Data), want)
		}
	}
	if got[0].Caps != got[1].Caps {
		t.Error("unchanged caps produced different strings")
	}
}
