package codecs

import "testing"

func benchmarkDetector(b *testing.B, detect func([]byte) bool, payload string, want bool) {
	p := unhex(b, payload)
	b.ReportAllocs()
	for b.Loop() {
		if detect(p) != want {
			b.Fatal("wrong answer")
		}
	}
}

func BenchmarkVP8StartsKeyframe(b *testing.B) {
	benchmarkDetector(b, VP8StartsKeyframe, "90 e0 9e36 45 a0 9015 00 9d012a b000 9000", true)
}

func BenchmarkVP9StartsKeyframe(b *testing.B) {
	benchmarkDetector(b, VP9StartsKeyframe, "8e 83e8 18 00b0 0090 01 04 01 b124", true)
}

func BenchmarkH264StartsKeyframe(b *testing.B) {
	benchmarkDetector(b, H264StartsKeyframe, "78 0002 0910 0011 6742c01fda02802dd80880000003008000 0004 68ce3c80", true)
}

func BenchmarkAV1StartsKeyframe(b *testing.B) {
	benchmarkDetector(b, AV1StartsKeyframe, "18 0a0b", true)
}

func BenchmarkOpusPacketUnmarshal(b *testing.B) {
	p := unhex(b, "fb 82 01 aa bbcc")
	var o OpusPacket
	b.ReportAllocs()
	for b.Loop() {
		if err := o.Unmarshal(p); err != nil {
			b.Fatal(err)
		}
	}
}
