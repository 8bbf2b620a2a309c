package codecs

// vp9Depacketizer rebuilds the base spatial layer of VP9 pictures: the payloads of spatial layer 0 without their
// descriptors. Higher spatial layers, which browsers send only when asked for SVC, are skipped: the base layer
// decodes on its own, and a superframe of several layers would need its index rebuilt.
type vp9Depacketizer struct {
	keyframe bool
}

func (vp9Depacketizer) startsFrame(payload []byte) bool {
	var d VP9Descriptor
	_, err := d.Unmarshal(payload)
	return err == nil && d.StartOfFrame && d.SID == 0
}

func (v *vp9Depacketizer) appendPayload(frame, payload []byte, first bool) ([]byte, error) {
	var d VP9Descriptor
	n, err := d.Unmarshal(payload)
	if err != nil {
		return frame, err
	}
	if d.SID != 0 {
		return frame, nil
	}
	if d.StartOfFrame != first {
		if first {
			return frame, errNoStart
		}
		return frame, errFrameRestart
	}
	if first {
		v.keyframe = !d.InterPicturePredicted
	}
	return append(frame, payload[n:]...), nil
}

func (v *vp9Depacketizer) finish(frame []byte) ([]byte, bool, error) {
	if len(frame) == 0 {
		return frame, false, ErrShortPayload
	}
	return frame, v.keyframe, nil
}

func (v *vp9Depacketizer) reset() {
	v.keyframe = false
}
