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
	GstCaps *caps;	    /* the source caps its caps were last made from */
	/* Thinning to at most one buffer per interval (0: none). */
	GstClockTime interval, due;
	gboolean started;
} FanoutTarget;

typedef struct {
	GstClockTime pts; /* running time */
	gint64 when;	  /* g_get_monotonic_time, in microseconds */
} FanoutArrival;

struct ShimFanout {
	GMutex lock; /* guards everything below; held while pushing */
	GPtrArray *targets;
	guint64 buffers, thinned, replaced, refused;
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

/*
 * Reports whether a target that takes at most one buffer per interval takes the
 * buffer at pts. A buffer is taken when it is due; each one taken moves the due
 * time an interval on, so the long-run rate never exceeds the target's, and a
 * buffer up to a quarter interval early still counts as due (capture jitter:
 * at the same rate as the source, no buffer is left out). After a pause the due
 * time catches up instead of letting a burst through.
 */
static gboolean target_takes(FanoutTarget *t, GstClockTime pts)
{
	if (t->interval == 0 || !GST_CLOCK_TIME_IS_VALID(pts))
		return TRUE;
	if (!t->started) {
		t->started = TRUE;
		t->due = pts + t->interval;
		return TRUE;
	}
	if (pts + t->interval / 4 < t->due)
		return FALSE;
	t->due += t->interval;
	if (t->due < pts)
		t->due = pts + t->interval;
	return TRUE;
}

/* Sets a target's caps from the source's: with the frame rate it takes, when it thins. */
static void target_set_caps(FanoutTarget *t, GstCaps *caps)
{
	gst_caps_replace(&t->caps, caps);
	if (t->interval == 0) {
		gst_app_src_set_caps(GST_APP_SRC(t->appsrc), caps);
		return;
	}
	GstCaps *thinned = gst_caps_copy(caps);
	gst_caps_set_simple(thinned, "framerate", GST_TYPE_FRACTION, (gint)(GST_SECOND / t->interval), 1, NULL);
	gst_app_src_set_caps(GST_APP_SRC(t->appsrc), thinned);
	gst_caps_unref(thinned);
}

/*
 * Returns the reference a target gets: the buffer itself, or for a thinning
 * target a shallow copy (the data is shared) whose duration is one interval,
 * consistent with the frame rate in its caps. Frames of the source's duration
 * spaced further apart by the thinning mislead encoders that read durations:
 * libvpx then spends up to half as much again as its target bitrate.
 */
static GstBuffer *target_buffer(FanoutTarget *t, GstBuffer *buffer)
{
	if (t->interval == 0 || GST_BUFFER_DURATION(buffer) == t->interval)
		return gst_buffer_ref(buffer);
	GstBuffer *copy = gst_buffer_copy(buffer);
	GST_BUFFER_DURATION(copy) = t->interval;
	return copy;
}

static void fanout_push(ShimFanout *f, GstSample *sample)
{
	GstBuffer *buffer = gst_sample_get_buffer(sample);
	GstCaps *caps = gst_sample_get_caps(sample);

	if (buffer == NULL)
		return;
	GstClockTime pts = sample_running_time(sample, GST_BUFFER_PTS(buffer));
	g_mutex_lock(&f->lock);
	f->buffers++;
	f->arrivals[f->next_arrival].pts = pts;
	f->arrivals[f->next_arrival].when = g_get_monotonic_time();
	f->next_arrival = (f->next_arrival + 1) % ARRIVALS;
	for (guint i = 0; i < f->targets->len; i++) {
		FanoutTarget *t = g_ptr_array_index(f->targets, i);
		if (!target_takes(t, pts)) {
			f->thinned++;
			continue;
		}
		if (caps != NULL && caps != t->caps)
			target_set_caps(t, caps);
		/*
		 * With the target's queue full, its oldest buffer is replaced by this one (leaky): it had no time for
		 * it. Only this thread adds to the queue, so a queue full now is full at the push, unless the target
		 * takes a buffer meanwhile: the count may be one too high, never too low.
		 */
		GstAppSrc *appsrc = GST_APP_SRC(t->appsrc);
		if (gst_app_src_get_current_level_buffers(appsrc) >= gst_app_src_get_max_buffers(appsrc))
			f->replaced++;
		if (gst_app_src_push_buffer(appsrc, target_buffer(t, buffer)) != GST_FLOW_OK)
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

char *shim_fanout_add(ShimFanout *f, GstElement *appsrc, guint max_rate)
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
	t->interval = max_rate > 0 ? GST_SECOND / max_rate : 0;
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

void shim_fanout_stats(ShimFanout *f, guint64 *buffers, guint64 *thinned, guint64 *replaced, guint64 *refused)
{
	g_mutex_lock(&f->lock);
	*buffers = f->buffers;
	*thinned = f->thinned;
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
