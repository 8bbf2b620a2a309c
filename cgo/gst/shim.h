// C side of the gst package. Go never keeps a pointer into C memory beyond the
// objects it owns a reference to, and C never keeps a Go pointer: callbacks
// carry a runtime/cgo.Handle value (an integer) as their user data.
//
// Functions returning char* return NULL on success, or an error message that
// the caller frees with g_free.
#ifndef LIVE_GST_SHIM_H
#define LIVE_GST_SHIM_H

#include <stdint.h>
#include <stdlib.h>

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

// Bus message kinds handed to gstGoBusMessage.
enum {
	SHIM_BUS_ERROR = 1,
	SHIM_BUS_WARNING = 2,
	SHIM_BUS_EOS = 3,
};

char *shim_init(void);

// Pipelines.
GstElement *shim_pipeline_new(const char *description, char **err);
int shim_bus_watch(GstElement *pipeline, uintptr_t handle);
int shim_bus_unwatch(GstElement *pipeline);
int shim_set_state(GstElement *element, int state);
// FAILURE only when the last state change failed, not when the wait was merely woken (shim.c).
int shim_get_state(GstElement *element, guint64 timeout_ns, int *current);
GstElement *shim_bin_get(GstElement *bin, const char *name);
void shim_unref(GstElement *element);

// Properties.
char *shim_set_int(GstElement *element, const char *name, gint64 value);
char *shim_set_uint(GstElement *element, const char *name, guint64 value);
char *shim_set_bool(GstElement *element, const char *name, int value);
char *shim_set_string(GstElement *element, const char *name, const char *value);
char *shim_set_enum(GstElement *element, const char *name, const char *nick);
char *shim_get_integer(GstElement *element, const char *name, gint64 *signed_value, guint64 *unsigned_value,
		       int *is_unsigned);
char *shim_get_bool(GstElement *element, const char *name, int *value);
char *shim_get_string(GstElement *element, const char *name, char **value);
char *shim_get_enum(GstElement *element, const char *name, char **nick);

// Events.
char *shim_force_key_unit(GstElement *element, guint count, int *flushing);

// appsrc.
int shim_is_appsrc(GstElement *element);
char *shim_appsrc_check(GstElement *element);
int shim_appsrc_push(GstElement *element, const void *data, gsize size, guint64 pts, guint64 duration);
char *shim_appsrc_set_caps(GstElement *element, const char *caps);
int shim_appsrc_end_of_stream(GstElement *element);
const char *shim_flow_name(int flow);

char *shim_appsrc_force_key_unit(GstElement *element, guint count);

// appsink.
int shim_is_appsink(GstElement *element);
void shim_appsink_attach(GstElement *element, uintptr_t handle);
void shim_appsink_detach(GstElement *element);

// Fan-out from an appsink to appsrcs (fanout.c). The ShimFanout belongs to the appsink's callbacks and is freed
// by shim_appsink_detach.
typedef struct ShimFanout ShimFanout;
ShimFanout *shim_fanout_attach(GstElement *appsink);
char *shim_fanout_add(ShimFanout *fanout, GstElement *appsrc, guint max_rate);
int shim_fanout_remove(ShimFanout *fanout, GstElement *appsrc);
void shim_fanout_stats(ShimFanout *fanout, guint64 *buffers, guint64 *thinned, guint64 *replaced,
		       guint64 *refused);
int shim_fanout_arrival(ShimFanout *fanout, guint64 pts, gint64 *when);
gint64 shim_monotonic_time(void);

// A queue of an appsink's samples, signalled through an eventfd (sinkqueue.c). It belongs to the appsink's
// callbacks and is freed by shim_appsink_detach; the eventfd is the caller's to close, after that.
typedef struct ShimSinkQueue ShimSinkQueue;
typedef struct {
	gsize size;
	guint64 pts, dts, duration;
	int delta;
	int has_buffer;
	char *caps; // the caps as text when they changed since the previous sample (g_free), else NULL
} ShimSampleInfo;
ShimSinkQueue *shim_sinkqueue_attach(GstElement *appsink, guint capacity, int *efd);
GstSample *shim_sinkqueue_pop(ShimSinkQueue *queue, ShimSampleInfo *info);
gsize shim_sample_extract(GstSample *sample, void *dst, gsize size);
void shim_sample_unref(GstSample *sample);
guint64 shim_sinkqueue_dropped(ShimSinkQueue *queue);

#endif
