package gst

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestProperties(t *testing.T) {
	p := newTestPipeline(t, "vp8enc name=vp8 x264enc name=x264 appsrc name=src")
	vp8 := mustElement(t, p, "vp8")
	x264 := mustElement(t, p, "x264")
	src := mustElement(t, p, "src")

	intOf := func(e *Element, prop string) func() (any, error) {
		return func() (any, error) { return e.PropertyInt(prop) }
	}
	uintOf := func(e *Element, prop string) func() (any, error) {
		return func() (any, error) { return e.PropertyUint(prop) }
	}
	tests := []struct {
		name    string
		set     func() error
		get     func() (any, error)
		want    any
		wantErr string
	}{
		{name: "gint", set: func() error { return vp8.SetInt("target-bitrate", 300_000) },
			get: intOf(vp8, "target-bitrate"), want: int64(300_000)},
		{name: "negative gint", set: func() error { return vp8.SetInt("cpu-used", -6) },
			get: intOf(vp8, "cpu-used"), want: int64(-6)},
		{name: "gint64", set: func() error { return vp8.SetInt("deadline", 1) },
			get: intOf(vp8, "deadline"), want: int64(1)},
		{name: "guint through SetInt", set: func() error { return x264.SetInt("bitrate", 800) },
			get: uintOf(x264, "bitrate"), want: uint64(800)},
		{name: "guint64 full range", set: func() error { return src.SetUint("max-bytes", math.MaxUint64) },
			get: uintOf(src, "max-bytes"), want: uint64(math.MaxUint64)},
		{name: "bool", set: func() error { return x264.SetBool("byte-stream", true) },
			get: func() (any, error) { return x264.PropertyBool("byte-stream") }, want: true},
		{name: "string", set: func() error { return x264.SetString("option-string", "scenecut=0") },
			get: func() (any, error) { return x264.PropertyString("option-string") }, want: "scenecut=0"},
		{name: "enum by nick", set: func() error { return x264.SetEnum("speed-preset", "ultrafast") },
			get: func() (any, error) { return x264.PropertyEnum("speed-preset") }, want: "ultrafast"},
		{name: "enum on vp8enc", set: func() error { return vp8.SetEnum("end-usage", "cbr") },
			get: func() (any, error) { return vp8.PropertyEnum("end-usage") }, want: "cbr"},

		{name: "unknown property", set: func() error { return vp8.SetInt("no-such-thing", 1) },
			wantErr: `vp8 has no property "no-such-thing"`},
		{name: "below range", set: func() error { return vp8.SetInt("target-bitrate", -1) },
			wantErr: "outside [0, 2147483647]"},
		{name: "above range", set: func() error { return x264.SetUint("bitrate", 5_000_000) },
			wantErr: "outside [1, 2048000]"},
		{name: "negative into guint", set: func() error { return x264.SetInt("bitrate", -5) },
			wantErr: "outside"},
		{name: "beyond gint", set: func() error { return vp8.SetInt("target-bitrate", 1<<40) },
			wantErr: "outside"},
		{name: "integer into string", set: func() error { return x264.SetInt("option-string", 1) },
			wantErr: "holds a gchararray, not an integer"},
		{name: "bool into integer", set: func() error { return vp8.SetBool("target-bitrate", true) },
			wantErr: "not a boolean"},
		{name: "string into integer", set: func() error { return vp8.SetString("target-bitrate", "1") },
			wantErr: "not a string"},
		{name: "unknown nick", set: func() error { return x264.SetEnum("speed-preset", "warp") },
			wantErr: "one of: None, ultrafast,"},
		{name: "enum into flags", set: func() error { return x264.SetEnum("tune", "zerolatency") },
			wantErr: "not an enum"},
		{name: "read-only", set: func() error { return src.SetUint("current-level-bytes", 1) },
			wantErr: "is not writable"},
		{name: "NUL in name", set: func() error { return vp8.SetInt("target\x00bitrate", 1) },
			wantErr: "NUL byte"},
		{name: "NUL in value", set: func() error { return x264.SetString("option-string", "a\x00b") },
			wantErr: "NUL byte"},
		{name: "NUL in nick", set: func() error { return x264.SetEnum("speed-preset", "fast\x00") },
			wantErr: "NUL byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.set()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("set: %v", err)
			}
			got, err := tc.get()
			if err != nil || got != tc.want {
				t.Fatalf("get = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestPropertyGettersRefuseWhatTheyCannotHold(t *testing.T) {
	p := newTestPipeline(t, "vp8enc name=vp8 appsrc name=src x264enc name=x264")
	vp8 := mustElement(t, p, "vp8")
	src := mustElement(t, p, "src")
	x264 := mustElement(t, p, "x264")
	if err := vp8.SetInt("cpu-used", -3); err != nil {
		t.Fatal(err)
	}
	if _, err := vp8.PropertyUint("cpu-used"); err == nil {
		t.Error("PropertyUint read a negative value")
	}
	if err := src.SetUint("max-bytes", math.MaxUint64); err != nil {
		t.Fatal(err)
	}
	if _, err := src.PropertyInt("max-bytes"); err == nil {
		t.Error("PropertyInt read a value beyond int64")
	}
	if _, err := x264.PropertyEnum("tune"); err == nil {
		t.Error("PropertyEnum read a flags property")
	}
	if _, err := x264.PropertyBool("bitrate"); err == nil {
		t.Error("PropertyBool read an integer property")
	}
	if _, err := x264.PropertyString("bitrate"); err == nil {
		t.Error("PropertyString read an integer property")
	}
	if _, err := x264.PropertyInt("nope"); err == nil {
		t.Error("PropertyInt read an unknown property")
	}
}

func TestForceKeyUnitOnAStoppedEncoderIsFlushing(t *testing.T) {
	p := newTestPipeline(t, encoderDescription(videoCodecs[0].encoder, ""))
	enc := mustElement(t, p, "enc")
	if err := enc.ForceKeyUnit(); !errors.Is(err, ErrFlushing) {
		t.Fatalf("ForceKeyUnit before PLAYING = %v, want ErrFlushing", err)
	}
}

func TestForceKeyUnitNeedsASinkPad(t *testing.T) {
	p := newTestPipeline(t, "appsrc name=src format=time leaky-type=downstream ! fakesink")
	src := mustElement(t, p, "src")
	if err := src.ForceKeyUnit(); err == nil || !strings.Contains(err.Error(), "no sink pad") {
		t.Fatalf("ForceKeyUnit on appsrc = %v, want a no-sink-pad error", err)
	}
}
