package gst

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"math"
	"sync/atomic"
)

// Element is one element of a Pipeline, valid until the pipeline is closed.
// Its methods are safe for concurrent use; GStreamer serialises property
// access itself.
type Element struct {
	p    *Pipeline
	name string
	ptr  *C.GstElement

	keyUnits atomic.Uint32 // force-key-unit events sent, carried as their count
}

func newElement(p *Pipeline, name string, ptr *C.GstElement) *Element {
	return &Element{p: p, name: name, ptr: ptr}
}

// Name is the element's name in the pipeline description.
func (e *Element) Name() string {
	return e.name
}

// call runs fn against the element while the pipeline cannot be released,
// with the property name converted to C.
func (e *Element) call(property string, fn func(prop *C.char) *C.char) error {
	prop, err := cString("property name", property)
	if err != nil {
		return err
	}
	defer freeCString(prop)
	c := e.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	return takeError(fn(prop))
}

// SetInt sets an integer property of any C integer type (gint, guint, glong,
// gint64, ...); a value outside the property's range is an error.
func (e *Element) SetInt(property string, value int64) error {
	return e.call(property, func(prop *C.char) *C.char {
		return C.shim_set_int(e.ptr, prop, C.gint64(value))
	})
}

// SetUint is SetInt for values above math.MaxInt64.
func (e *Element) SetUint(property string, value uint64) error {
	return e.call(property, func(prop *C.char) *C.char {
		return C.shim_set_uint(e.ptr, prop, C.guint64(value))
	})
}

// SetBool sets a boolean property.
func (e *Element) SetBool(property string, value bool) error {
	v := C.int(0)
	if value {
		v = 1
	}
	return e.call(property, func(prop *C.char) *C.char {
		return C.shim_set_bool(e.ptr, prop, v)
	})
}

// SetString sets a string property.
func (e *Element) SetString(property, value string) error {
	cvalue, err := cString("property value", value)
	if err != nil {
		return err
	}
	defer freeCString(cvalue)
	return e.call(property, func(prop *C.char) *C.char {
		return C.shim_set_string(e.ptr, prop, cvalue)
	})
}

// SetEnum sets an enum property by the nick gst-inspect shows ("cbr",
// "ultrafast", ...); an unknown nick is an error listing the valid ones.
func (e *Element) SetEnum(property, nick string) error {
	cnick, err := cString("enum nick", nick)
	if err != nil {
		return err
	}
	defer freeCString(cnick)
	return e.call(property, func(prop *C.char) *C.char {
		return C.shim_set_enum(e.ptr, prop, cnick)
	})
}

// integer reads an integer property of any C integer type.
func (e *Element) integer(property string) (signed int64, unsigned uint64, isUnsigned bool, err error) {
	var sv C.gint64
	var uv C.guint64
	var flag C.int
	err = e.call(property, func(prop *C.char) *C.char {
		return C.shim_get_integer(e.ptr, prop, &sv, &uv, &flag)
	})
	return int64(sv), uint64(uv), flag != 0, err
}

// PropertyInt reads an integer property of any C integer type.
func (e *Element) PropertyInt(property string) (int64, error) {
	sv, uv, isUnsigned, err := e.integer(property)
	switch {
	case err != nil:
		return 0, err
	case !isUnsigned:
		return sv, nil
	case uv > math.MaxInt64:
		return 0, fmt.Errorf("gst: property %q of %s is %d, beyond int64: use PropertyUint", property, e.name, uv)
	default:
		return int64(uv), nil
	}
}

// PropertyUint reads a non-negative integer property of any C integer type.
func (e *Element) PropertyUint(property string) (uint64, error) {
	sv, uv, isUnsigned, err := e.integer(property)
	switch {
	case err != nil:
		return 0, err
	case isUnsigned:
		return uv, nil
	case sv < 0:
		return 0, fmt.Errorf("gst: property %q of %s is negative (%d): use PropertyInt", property, e.name, sv)
	default:
		return uint64(sv), nil
	}
}

// PropertyBool reads a boolean property.
func (e *Element) PropertyBool(property string) (bool, error) {
	var v C.int
	err := e.call(property, func(prop *C.char) *C.char {
		return C.shim_get_bool(e.ptr, prop, &v)
	})
	return v != 0, err
}

// PropertyString reads a string property ("" when unset).
func (e *Element) PropertyString(property string) (string, error) {
	var v *C.char
	err := e.call(property, func(prop *C.char) *C.char {
		return C.shim_get_string(e.ptr, prop, &v)
	})
	if v == nil {
		return "", err
	}
	defer C.g_free(C.gpointer(v))
	return C.GoString(v), err
}

// PropertyEnum reads an enum property as its nick.
func (e *Element) PropertyEnum(property string) (string, error) {
	var nick *C.char
	err := e.call(property, func(prop *C.char) *C.char {
		return C.shim_get_enum(e.ptr, prop, &nick)
	})
	if nick == nil {
		return "", err
	}
	defer C.g_free(C.gpointer(nick))
	return C.GoString(nick), err
}

// ForceKeyUnit asks a video encoder for a keyframe: it sends the standard
// downstream force-key-unit event (all headers included, so H.264 repeats
// SPS/PPS) to the encoder's sink pad, and the next frame the encoder handles
// becomes a keyframe. It returns ErrFlushing when the pipeline is not
// running, and an error when the element has no sink pad or refuses the
// event.
func (e *Element) ForceKeyUnit() error {
	count := e.keyUnits.Add(1)
	c := e.p.core
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	var flushing C.int
	err := takeError(C.shim_force_key_unit(e.ptr, C.guint(count), &flushing))
	if err != nil && flushing != 0 {
		return fmt.Errorf("gst: force key unit on %s: %w", e.name, ErrFlushing)
	}
	return err
}
