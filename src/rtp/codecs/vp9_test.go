package codecs

import (
	"errors"
	"testing"
)

func TestVP9DescriptorUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    VP9Descriptor
		wantLen int
		wantKey bool
		wantErr error
	}{
		{
			name: "key frame with scalability structure (rtpvp9pay)", in: "8e 83e8 18 00b0 0090 01 04 01 b124",
			want: VP9Descriptor{
				HasPictureID: true, StartOfFrame: true, EndOfFrame: true, HasScalabilityStructure: true,
				LongPictureID: true, PictureID: 1000, SpatialLayers: 1, HasResolution: true,
				Width: [VP9MaxSpatialLayers]uint16{176}, Height: [VP9MaxSpatialLayers]uint16{144},
			},
			wantLen: 11, wantKey: true,
		},
		{
			name: "inter frame", in: "cc 83e9 b3",
			want:    VP9Descriptor{HasPictureID: true, InterPicturePredicted: true, StartOfFrame: true, EndOfFrame: true, LongPictureID: true, PictureID: 1001},
			wantLen: 3,
		},
		{
			name: "key frame continuation", in: "84 83f2 9b",
			want:    VP9Descriptor{HasPictureID: true, EndOfFrame: true, LongPictureID: true, PictureID: 1010},
			wantLen: 3,
		},
		{
			name: "non-flexible with layer indices", in: "a8 05 b0 07",
			want: VP9Descriptor{
				HasPictureID: true, HasLayerIndices: true, StartOfFrame: true, PictureID: 5,
				TID: 5, SwitchingUp: true, TL0PICIDX: 7,
			},
			wantLen: 4, wantKey: true,
		},
		{
			name: "spatial layer 1 without inter-picture prediction is no key picture", in: "a8 05 03 07",
			want: VP9Descriptor{
				HasPictureID: true, HasLayerIndices: true, StartOfFrame: true, PictureID: 5,
				SID: 1, InterLayerDependency: true, TL0PICIDX: 7,
			},
			wantLen: 4,
		},
		{
			name: "flexible mode with two reference differences", in: "f8 05 00 0b 04",
			want: VP9Descriptor{
				HasPictureID: true, InterPicturePredicted: true, HasLayerIndices: true, FlexibleMode: true,
				StartOfFrame: true, PictureID: 5, PDiff: [3]uint8{5, 2}, PDiffCount: 2,
			},
			wantLen: 5,
		},
		{
			name: "flexible key picture: no TL0PICIDX", in: "b9 05 00",
			want: VP9Descriptor{
				HasPictureID: true, HasLayerIndices: true, FlexibleMode: true, StartOfFrame: true, NotReference: true, PictureID: 5,
			},
			wantLen: 3, wantKey: true,
		},
		{
			name: "structure of two spatial layers without resolutions, group of two pictures", in: "0a 28 02 44 01 84 02 04",
			want:    VP9Descriptor{StartOfFrame: true, HasScalabilityStructure: true, SpatialLayers: 2},
			wantLen: 7, wantKey: true,
		},
		{name: "empty", in: "", wantErr: ErrShortPayload},
		{name: "picture id missing", in: "88", wantErr: ErrShortPayload},
		{name: "15-bit picture id truncated", in: "88 80", wantErr: ErrShortPayload},
		{name: "layer indices missing", in: "a8 05", wantErr: ErrShortPayload},
		{name: "TL0PICIDX missing in non-flexible mode", in: "a8 05 00", wantErr: ErrShortPayload},
		{name: "reference difference missing", in: "d8 05", wantErr: ErrShortPayload},
		{name: "more than 3 reference differences", in: "d8 05 03 03 03 02", wantErr: ErrVP9References},
		{name: "scalability structure missing", in: "8a 05", wantErr: ErrShortPayload},
		{name: "resolution truncated", in: "8a 05 10 00b0 00", wantErr: ErrShortPayload},
		{name: "resolutions of 8 layers truncated", in: "0a f0 00b0 0090", wantErr: ErrShortPayload},
		{name: "picture group count missing", in: "0a 08", wantErr: ErrShortPayload},
		{name: "picture group entry missing", in: "0a 08 01", wantErr: ErrShortPayload},
		{name: "picture group reference missing", in: "0a 08 01 04", wantErr: ErrShortPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			var d VP9Descriptor
			n, err := d.Unmarshal(in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got := VP9StartsKeyframe(in); got != tt.wantKey {
				t.Errorf("VP9StartsKeyframe = %v, want %v", got, tt.wantKey)
			}
			if tt.wantErr != nil {
				return
			}
			if n != tt.wantLen || d != tt.want {
				t.Errorf("Unmarshal = %d, %+v\nwant          %d, %+v", n, d, tt.wantLen, tt.want)
			}
		})
	}
}
