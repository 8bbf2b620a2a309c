#include "shim.h"

/*
 * A fan-out hands every buffer reaching an appsink to the appsrcs of other
 * pipelines, by reference, on the appsink's streaming thread, without calling
 * into Go. The appsrcs must never block (leaky, bounded), so that a slow
 * target cannot stall the source or the other targets.
 */

#define ARRIVALS 64

typedef struct {
	GstElement *appsrc; /* a reference of ours */
	GstCaps *caps;	    /* the caps last set on it */
} FanoutTarget;

typedef struct {
	GstClockTime pts; /* running time */
	gint64 when;	  /* g_get_monotonic_time, in microseconds */
} FanoutArrival;

struct ShimFanout {
	GMutex lock; /* guards everything below; held while pushing */
	GPtrArray *targets;
	guint64 buffers, replaced, refused;
	FanoutArrival arrivals[ARRIVALS];
	guint next_arrival;
};

static void target_free(gpointer data)
{
	FanoutTarget *t = data;

	gst_caps_replace(&t->caps, NULL);
	gst_object_unref(t->appsrc);
	g_free(t);
}

static void fanout_free(gpointer data)
{
	ShimFanout *f = data;

	g_ptr_array_unref(f->targets);
	g_mutex_clear(&f->lock);
	g_free(f);
}

static GstClockTime sample_running_time(GstSample *sample, GstClockTime t)
{
	const GstSegment *segment = gst_sample_get_segment(sample);

	if (segment == NULL || segment->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID(t))
		return t;
	return gst_segment_to_running_time(segment, GST_FORMAT_TIME, t);
}

static void fanout_push(ShimFanout *f, GstSample *sample)
{
	GstBuffer *buffer = gst_sample_get_buffer(sample);
	GstCaps *caps = gst_sample_get_caps(sample);

	if (buffer == NULL)
		return;
	g_mutex_lock(&f->lock);
	f->buffers++;
	f->arrivals[f->next_arrival].pts = sample_running_time(sample, GST_BUFFER_PTS(buffer));
	f->arrivals[f->next_arrival].when = g_get_monotonic_time();
	f->next_arrival = (f->next_arrival + 1) % ARRIVALS;
	for (guint i = 0; i < f->targets->len; i++) {
		FanoutTarget *t = g_ptr_array_index(f->targets, i);
		if (caps != NULL && caps != t->caps) {
			gst_app_src_set_caps(GST_APP_SRC(t->appsrc), caps);
			gst_caps_replace(&t->caps, caps);
		}
		/* A buffer still queued is replaced by this one (leaky): the target had no time for it. */
		if (gst_app_src_get_current_level_buffers(GST_APP_SRC(t->appsrc)) > 0)
			f->replaced++;
		if (gst_app_src_push_buffer(GST_APP_SRC(t->appsrc), gst_buffer_ref(buffer)) != GST_FLOW_OK)
			f->refused++;
	}
	g_mutex_unlock(&f->lock);
}

static GstFlowReturn fanout_new_sample(GstAppSink *appsink, gpointer user_data)
{
	GstSample *sample;

	while ((sample = gst_app_sink_try_pull_sample(appsink, 0)) != NULL) {
		fanout_push(user_data, sample);
		gst_sample_unref(sample);
	}
	return GST_FLOW_OK;
}

ShimFanout *shim_fanout_attach(GstElement *appsink)
{
	GstAppSinkCallbacks callbacks = {0};
	ShimFanout *f = g_new0(ShimFanout, 1);

	g_mutex_init(&f->lock);
	f->targets = g_ptr_array_new_with_free_func(target_free);
	callbacks.new_sample = fanout_new_sample;
	gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, f, fanout_free);
	return f;
}

char *shim_fanout_add(ShimFanout *f, GstElement *appsrc)
{
	gboolean block = TRUE;
	gint leaky = 0;
	guint64 max_buffers = 0;

	if (!GST_IS_APP_SRC(appsrc))
		return g_strdup_printf("%s is not an appsrc", GST_ELEMENT_NAME(appsrc));
	g_object_get(G_OBJECT(appsrc), "block", &block, "leaky-type", &leaky, "max-buffers", &max_buffers, NULL);
	if (block || leaky == GST_APP_LEAKY_TYPE_NONE || max_buffers == 0)
		return g_strdup_printf("fan-out target %s could block the source: it needs block=false, a leaky-type "
				       "and max-buffers",
				       GST_ELEMENT_NAME(appsrc));
	g_mutex_lock(&f->lock);
	for (guint i = 0; i < f->targets->len; i++) {
		if (((FanoutTarget *)g_ptr_array_index(f->targets, i))->appsrc == appsrc) {
			g_mutex_unlock(&f->lock);
			return g_strdup_printf("%s is already a target of this fan-out", GST_ELEMENT_NAME(appsrc));
		}
	}
	FanoutTarget *t = g_new0(FanoutTarget, 1);
	t->appsrc = gst_object_ref(appsrc);
	g_ptr_array_add(f->targets, t);
	g_mutex_unlock(&f->lock);
	return NULL;
}

int shim_fanout_remove(ShimFanout *f, GstElement *appsrc)
{
	FanoutTarget *found = NULL;

	g_mutex_lock(&f->lock);
	for (guint i = 0; i < f->targets->len; i++) {
		if (((FanoutTarget *)g_ptr_array_index(f->targets, i))->appsrc == appsrc) {
			found = g_ptr_array_steal_index(f->targets, i);
			break;
		}
	}
	g_mutex_unlock(&f->lock);
	if (found == NULL)
		return 0;
	/* Outside the lock: the last reference to an appsrc may finalize it. */
	target_free(found);
	return 1;
}

void shim_fanout_stats(ShimFanout *f, guint64 *buffers, guint64 *replaced, guint64 *refused)
{
	g_mutex_lock(&f->lock);
	*buffers = f->buffers;
	*replaced = f->replaced;
	*refused = f->refused;
	g_mutex_unlock(&f->lock);
}

int shim_fanout_arrival(ShimFanout *f, guint64 pts, gint64 *when)
{
	int found = 0;

	g_mutex_lock(&f->lock);
	for (guint i = 0; i < ARRIVALS; i++) {
		if (f->arrivals[i].when != 0 && f->arrivals[i].pts == pts) {
			*when = f->arrivals[i].when;
			found = 1;
			break;
		}
	}
	g_mutex_unlock(&f->lock);
	return found;
}

gint64 shim_monotonic_time(void)
{
	return g_get_monotonic_time();
}
