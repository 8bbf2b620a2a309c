package gst

import "testing"

func TestCheckTypedValues(t *testing.T) {
	tests := []struct {
		text string
		ok   bool
	}{
		{rawCaps, true},
		{"audio/x-opus,streamheader=(buffer)< 4f707573, 4f70 >", true},
		{"video/x-vp8,streamheader=(buffer)< 4f56503830 >,width=(int)64", true},
		{"video/x-h264,codec_data=(buffer)0142c01e", true},
		{"video/x-h264,codec_data=( GstBuffer )\"0142\"", true},
		{"video/x-h264,codec_data=(buffer)", true},
		{"video/x-h264,codec_data=(buffer),width=(int)2", true},
		{"audio/x-opus,streamheader=(buffer)< 4f70zz >", false},
		{"audio/x-opus,streamheader=(buffer)< 4f7 >", false},
		{"audio/x-opus,streamheader=(buffer)< 4f70", false},
		{"video/x-h264,codec_data=(Buffer)zz", false},
		{"video/x-h264,codec_data=(buffer)\"01zz\"", false},
		{"video/x-h264,codec_data=(buffer){ 01, zz }", false},
		{"video/x-h264,codec_data=(buffer)\\\"zz\\\"", false},
		{"video/x-h264,s=(sample)abc", false},
		{"video/x-raw(memory:GLMemory),format=I420", true},
		{"application/x-rtp,sprop=(string)\"(buffer) is just text\"", false}, // conservative
	}
	for _, tc := range tests {
		if err := checkTypedValues(tc.text); (err == nil) != tc.ok {
			t.Errorf("checkTypedValues(%q) = %v, want ok=%v", tc.text, err, tc.ok)
		}
	}
}
