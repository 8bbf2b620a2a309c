#include "shim.h"

#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/*
 * A sink queue keeps an appsink's samples in C, bounded (the oldest dropped
 * when full), and signals an eventfd for each one, which Go waits on through
 * its netpoller: no call from C into Go per sample.
 */

struct ShimSinkQueue {
	GMutex lock; /* guards samples and dropped */
	GQueue samples;
	guint capacity;
	guint64 dropped;
	int efd;	     /* owned by Go, which closes it after the queue is freed */
	GstCaps *last_caps; /* caps of the latest sample popped; only touched by the popping thread */
};

static void sinkqueue_free(gpointer data)
{
	ShimSinkQueue *q = data;
	GstSample *sample;

	while ((sample = g_queue_pop_head(&q->samples)) != NULL)
		gst_sample_unref(sample);
	gst_caps_replace(&q->last_caps, NULL);
	g_mutex_clear(&q->lock);
	g_free(q);
}

static GstFlowReturn sinkqueue_new_sample(GstAppSink *appsink, gpointer user_data)
{
	ShimSinkQueue *q = user_data;
	GstSample *sample;

	while ((sample = gst_app_sink_try_pull_sample(appsink, 0)) != NULL) {
		g_mutex_lock(&q->lock);
		if (g_queue_get_length(&q->samples) >= q->capacity) {
			gst_sample_unref(g_queue_pop_head(&q->samples));
			q->dropped++;
		}
		g_queue_push_tail(&q->samples, sample);
		g_mutex_unlock(&q->lock);
		/* Adds one to the counter. It cannot overflow in practice; a failed write leaves the sample for the
		 * next signal. */
		uint64_t one = 1;
		ssize_t written = write(q->efd, &one, sizeof one);
		(void)written;
	}
	return GST_FLOW_OK;
}

ShimSinkQueue *shim_sinkqueue_attach(GstElement *appsink, guint capacity, int *efd)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	GstAppSinkCallbacks callbacks = {0};
	ShimSinkQueue *q = g_new0(ShimSinkQueue, 1);
	g_mutex_init(&q->lock);
	g_queue_init(&q->samples);
	q->capacity = capacity;
	q->efd = fd;
	callbacks.new_sample = sinkqueue_new_sample;
	gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, q, sinkqueue_free);
	*efd = fd;
	return q;
}

static GstClockTime queue_running_time(GstSample *sample, GstClockTime t)
{
	const GstSegment *segment = gst_sample_get_segment(sample);

	if (segment == NULL || segment->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID(t))
		return t;
	return gst_segment_to_running_time(segment, GST_FORMAT_TIME, t);
}

GstSample *shim_sinkqueue_pop(ShimSinkQueue *q, ShimSampleInfo *info)
{
	g_mutex_lock(&q->lock);
	GstSample *sample = g_queue_pop_head(&q->samples);
	g_mutex_unlock(&q->lock);
	if (sample == NULL)
		return NULL;
	memset(info, 0, sizeof *info);
	GstBuffer *buffer = gst_sample_get_buffer(sample);
	GstCaps *caps = gst_sample_get_caps(sample);
	if (caps != q->last_caps) {
		if (caps != NULL && (q->last_caps == NULL || !gst_caps_is_equal(caps, q->last_caps)))
			info->caps = gst_caps_to_string(caps);
		gst_caps_replace(&q->last_caps, caps);
	}
	if (buffer != NULL) {
		info->size = gst_buffer_get_size(buffer);
		info->pts = queue_running_time(sample, GST_BUFFER_PTS(buffer));
		info->dts = queue_running_time(sample, GST_BUFFER_DTS(buffer));
		info->duration = GST_BUFFER_DURATION(buffer);
		info->delta = GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT) ? 1 : 0;
		info->has_buffer = 1;
	}
	return sample;
}

gsize shim_sample_extract(GstSample *sample, void *dst, gsize size)
{
	GstBuffer *buffer = gst_sample_get_buffer(sample);

	if (buffer == NULL)
		return 0;
	return gst_buffer_extract(buffer, 0, dst, size);
}

void shim_sample_unref(GstSample *sample)
{
	gst_sample_unref(sample);
}

guint64 shim_sinkqueue_dropped(ShimSinkQueue *q)
{
	g_mutex_lock(&q->lock);
	guint64 dropped = q->dropped;
	g_mutex_unlock(&q->lock);
	return dropped;
}
