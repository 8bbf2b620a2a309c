#include "shim.h"

#include "_cgo_export.h"

char *shim_init(void)
{
	GError *err = NULL;

	if (gst_init_check(NULL, NULL, &err))
		return NULL;
	char *msg = g_strdup(err != NULL ? err->message : "gst_init_check failed");
	g_clear_error(&err);
	return msg;
}

/* ---- pipelines ---- */

GstElement *shim_pipeline_new(const char *description, char **err)
{
	GError *gerr = NULL;
	GstElement *element = gst_parse_launch_full(description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &gerr);

	/* The result is floating: take the one reference we will own. */
	if (element != NULL && g_object_is_floating(element))
		gst_object_ref_sink(element);
	if (gerr != NULL || element == NULL) {
		*err = g_strdup(gerr != NULL ? gerr->message : "gst_parse_launch_full returned nothing");
		g_clear_error(&gerr);
		if (element != NULL)
			gst_object_unref(element);
		return NULL;
	}
	if (GST_IS_PIPELINE(element))
		return element;

	/* A single element comes back alone: give it a pipeline. */
	GstElement *pipeline = gst_pipeline_new(NULL);
	if (pipeline == NULL) {
		*err = g_strdup("gst_pipeline_new failed");
		gst_object_unref(element);
		return NULL;
	}
	gst_object_ref_sink(pipeline);
	if (!gst_bin_add(GST_BIN(pipeline), element)) {
		*err = g_strdup("could not add the element to a pipeline");
		gst_object_unref(element);
		gst_object_unref(pipeline);
		return NULL;
	}
	/* The pipeline took its own reference. */
	gst_object_unref(element);
	return pipeline;
}

static void deliver_error(uintptr_t handle, GstMessage *msg, int kind)
{
	GError *err = NULL;
	gchar *debug = NULL;

	if (kind == SHIM_BUS_ERROR)
		gst_message_parse_error(msg, &err, &debug);
	else
		gst_message_parse_warning(msg, &err, &debug);
	gchar *source = GST_MESSAGE_SRC(msg) != NULL ? gst_object_get_name(GST_MESSAGE_SRC(msg)) : NULL;
	gstGoBusMessage(handle, kind, source, err != NULL ? err->message : NULL, debug);
	g_free(source);
	g_free(debug);
	g_clear_error(&err);
}

/*
 * Runs on whichever thread posts the message. Every message is dropped after
 * being looked at, so the bus queue never grows even though nobody pops it.
 * A sync handler that returns GST_BUS_DROP owns the message and must unref it.
 */
static GstBusSyncReply on_bus_message(GstBus *bus, GstMessage *msg, gpointer user_data)
{
	uintptr_t handle = (uintptr_t)user_data;

	(void)bus;
	if (handle == 0) {
		gst_message_unref(msg);
		return GST_BUS_DROP;
	}
	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_ERROR:
		deliver_error(handle, msg, SHIM_BUS_ERROR);
		break;
	case GST_MESSAGE_WARNING:
		deliver_error(handle, msg, SHIM_BUS_WARNING);
		break;
	case GST_MESSAGE_EOS:
		gstGoBusMessage(handle, SHIM_BUS_EOS, NULL, NULL, NULL);
		break;
	default:
		break;
	}
	gst_message_unref(msg);
	return GST_BUS_DROP;
}

int shim_bus_watch(GstElement *pipeline, uintptr_t handle)
{
	GstBus *bus = gst_element_get_bus(pipeline);

	if (bus == NULL)
		return 0;
	gst_bus_set_sync_handler(bus, on_bus_message, (gpointer)handle, NULL);
	gst_object_unref(bus);
	return 1;
}

int shim_bus_unwatch(GstElement *pipeline)
{
	GstBus *bus = gst_element_get_bus(pipeline);

	if (bus == NULL)
		return 0;
	gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
	gst_object_unref(bus);
	return 1;
}

int shim_set_state(GstElement *element, int state)
{
	return gst_element_set_state(element, (GstState)state);
}

int shim_get_state(GstElement *element, guint64 timeout_ns, int *current)
{
	GstState cur = GST_STATE_VOID_PENDING;
	GstStateChangeReturn ret = gst_element_get_state(element, &cur, NULL, timeout_ns);

	if (ret == GST_STATE_CHANGE_FAILURE) {
		/* gst_element_get_state also says FAILURE when its wait is woken before the pending state is reached: by
		 * a new set_state (the waiter is "interrupted"), or by a bin signalling its state condition while its
		 * asynchronous state change goes on (seen on a busy machine: a live pipeline still PAUSED on its way to
		 * PLAYING, and the next call says ASYNC). The change failed only if the element's last state change
		 * return says so; otherwise it is under way, and the caller asks again. */
		GstStateChangeReturn last;

		GST_OBJECT_LOCK(element);
		last = GST_STATE_RETURN(element);
		cur = GST_STATE(element);
		GST_OBJECT_UNLOCK(element);
		if (last != GST_STATE_CHANGE_FAILURE)
			ret = GST_STATE_CHANGE_ASYNC;
	}
	*current = cur;
	return ret;
}

GstElement *shim_bin_get(GstElement *bin, const char *name)
{
	return gst_bin_get_by_name(GST_BIN(bin), name);
}

void shim_unref(GstElement *element)
{
	gst_object_unref(element);
}

/* ---- properties ---- */

static GParamSpec *find_property(GstElement *element, const char *name, GParamFlags need, char **err)
{
	GParamSpec *pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), name);

	if (pspec == NULL) {
		*err = g_strdup_printf("%s has no property \"%s\"", GST_ELEMENT_NAME(element), name);
		return NULL;
	}
	if ((pspec->flags & need) != need) {
		*err = g_strdup_printf("property \"%s\" of %s is not %s", name, GST_ELEMENT_NAME(element),
				       need == G_PARAM_READABLE ? "readable" : "writable");
		return NULL;
	}
	if ((need & G_PARAM_WRITABLE) && (pspec->flags & G_PARAM_CONSTRUCT_ONLY)) {
		*err = g_strdup_printf("property \"%s\" of %s can only be set at construction", name,
				       GST_ELEMENT_NAME(element));
		return NULL;
	}
	return pspec;
}

static char *type_error(GstElement *element, GParamSpec *pspec, const char *want)
{
	return g_strdup_printf("property \"%s\" of %s holds a %s, not %s", pspec->name, GST_ELEMENT_NAME(element),
			       g_type_name(pspec->value_type), want);
}

static char *range_error(GstElement *element, GParamSpec *pspec, const char *value)
{
	gchar *range = NULL;

	switch (G_TYPE_FUNDAMENTAL(pspec->value_type)) {
	case G_TYPE_INT:
		range = g_strdup_printf("[%d, %d]", G_PARAM_SPEC_INT(pspec)->minimum, G_PARAM_SPEC_INT(pspec)->maximum);
		break;
	case G_TYPE_UINT:
		range = g_strdup_printf("[%u, %u]", G_PARAM_SPEC_UINT(pspec)->minimum,
					G_PARAM_SPEC_UINT(pspec)->maximum);
		break;
	case G_TYPE_LONG:
		range = g_strdup_printf("[%ld, %ld]", G_PARAM_SPEC_LONG(pspec)->minimum,
					G_PARAM_SPEC_LONG(pspec)->maximum);
		break;
	case G_TYPE_ULONG:
		range = g_strdup_printf("[%lu, %lu]", G_PARAM_SPEC_ULONG(pspec)->minimum,
					G_PARAM_SPEC_ULONG(pspec)->maximum);
		break;
	case G_TYPE_INT64:
		range = g_strdup_printf("[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
					G_PARAM_SPEC_INT64(pspec)->minimum, G_PARAM_SPEC_INT64(pspec)->maximum);
		break;
	case G_TYPE_UINT64:
		range = g_strdup_printf("[%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
					G_PARAM_SPEC_UINT64(pspec)->minimum, G_PARAM_SPEC_UINT64(pspec)->maximum);
		break;
	default:
		range = g_strdup("its range");
		break;
	}
	char *msg = g_strdup_printf("value %s for property \"%s\" of %s is outside %s", value, pspec->name,
				    GST_ELEMENT_NAME(element), range);
	g_free(range);
	return msg;
}

/*
 * Fills value (of the property's own integer type) from either a signed or an
 * unsigned 64-bit input, refusing anything the C type cannot hold.
 */
static int integer_value(GParamSpec *pspec, int negative, gint64 sv, guint64 uv, GValue *value)
{
	g_value_init(value, pspec->value_type);
	switch (G_TYPE_FUNDAMENTAL(pspec->value_type)) {
	case G_TYPE_INT:
		if (negative ? sv < G_MININT : uv > G_MAXINT)
			return 0;
		g_value_set_int(value, negative ? (gint)sv : (gint)uv);
		return 1;
	case G_TYPE_UINT:
		if (negative || uv > G_MAXUINT)
			return 0;
		g_value_set_uint(value, (guint)uv);
		return 1;
	case G_TYPE_LONG:
		if (negative ? sv < G_MINLONG : uv > (guint64)G_MAXLONG)
			return 0;
		g_value_set_long(value, negative ? (glong)sv : (glong)uv);
		return 1;
	case G_TYPE_ULONG:
		if (negative || uv > G_MAXULONG)
			return 0;
		g_value_set_ulong(value, (gulong)uv);
		return 1;
	case G_TYPE_INT64:
		if (!negative && uv > G_MAXINT64)
			return 0;
		g_value_set_int64(value, negative ? sv : (gint64)uv);
		return 1;
	case G_TYPE_UINT64:
		if (negative)
			return 0;
		g_value_set_uint64(value, uv);
		return 1;
	default:
		return 0;
	}
}

static int is_integer_type(GType type)
{
	switch (G_TYPE_FUNDAMENTAL(type)) {
	case G_TYPE_INT:
	case G_TYPE_UINT:
	case G_TYPE_LONG:
	case G_TYPE_ULONG:
	case G_TYPE_INT64:
	case G_TYPE_UINT64:
		return 1;
	default:
		return 0;
	}
}

static char *set_integer(GstElement *element, const char *name, int negative, gint64 sv, guint64 uv)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_WRITABLE, &err);

	if (pspec == NULL)
		return err;
	if (!is_integer_type(pspec->value_type))
		return type_error(element, pspec, "an integer");

	gchar *text = negative ? g_strdup_printf("%" G_GINT64_FORMAT, sv) : g_strdup_printf("%" G_GUINT64_FORMAT, uv);
	GValue value = G_VALUE_INIT;
	/* g_param_value_validate returns TRUE when it had to clamp the value. */
	if (!integer_value(pspec, negative, sv, uv, &value) || g_param_value_validate(pspec, &value))
		err = range_error(element, pspec, text);
	else
		g_object_set_property(G_OBJECT(element), name, &value);
	g_value_unset(&value);
	g_free(text);
	return err;
}

char *shim_set_int(GstElement *element, const char *name, gint64 value)
{
	if (value < 0)
		return set_integer(element, name, 1, value, 0);
	return set_integer(element, name, 0, 0, (guint64)value);
}

char *shim_set_uint(GstElement *element, const char *name, guint64 value)
{
	return set_integer(element, name, 0, 0, value);
}

char *shim_set_bool(GstElement *element, const char *name, int value)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_WRITABLE, &err);

	if (pspec == NULL)
		return err;
	if (G_TYPE_FUNDAMENTAL(pspec->value_type) != G_TYPE_BOOLEAN)
		return type_error(element, pspec, "a boolean");
	g_object_set(G_OBJECT(element), name, value ? TRUE : FALSE, NULL);
	return NULL;
}

char *shim_set_string(GstElement *element, const char *name, const char *value)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_WRITABLE, &err);

	if (pspec == NULL)
		return err;
	if (G_TYPE_FUNDAMENTAL(pspec->value_type) != G_TYPE_STRING)
		return type_error(element, pspec, "a string");
	g_object_set(G_OBJECT(element), name, value, NULL);
	return NULL;
}

static char *nick_list(GEnumClass *klass)
{
	GString *list = g_string_new(NULL);

	for (guint i = 0; i < klass->n_values; i++) {
		if (i > 0)
			g_string_append(list, ", ");
		g_string_append(list, klass->values[i].value_nick);
	}
	return g_string_free(list, FALSE);
}

char *shim_set_enum(GstElement *element, const char *name, const char *nick)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_WRITABLE, &err);

	if (pspec == NULL)
		return err;
	if (G_TYPE_FUNDAMENTAL(pspec->value_type) != G_TYPE_ENUM)
		return type_error(element, pspec, "an enum");

	GEnumClass *klass = g_type_class_ref(pspec->value_type);
	GEnumValue *ev = g_enum_get_value_by_nick(klass, nick);
	if (ev == NULL) {
		gchar *nicks = nick_list(klass);
		err = g_strdup_printf("\"%s\" is not a value of property \"%s\" of %s (one of: %s)", nick, name,
				      GST_ELEMENT_NAME(element), nicks);
		g_free(nicks);
	} else {
		g_object_set(G_OBJECT(element), name, ev->value, NULL);
	}
	g_type_class_unref(klass);
	return err;
}

char *shim_get_integer(GstElement *element, const char *name, gint64 *signed_value, guint64 *unsigned_value,
		       int *is_unsigned)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_READABLE, &err);

	if (pspec == NULL)
		return err;
	if (!is_integer_type(pspec->value_type))
		return type_error(element, pspec, "an integer");

	GValue value = G_VALUE_INIT;
	g_value_init(&value, pspec->value_type);
	g_object_get_property(G_OBJECT(element), name, &value);
	*is_unsigned = 0;
	switch (G_TYPE_FUNDAMENTAL(pspec->value_type)) {
	case G_TYPE_INT:
		*signed_value = g_value_get_int(&value);
		break;
	case G_TYPE_LONG:
		*signed_value = g_value_get_long(&value);
		break;
	case G_TYPE_INT64:
		*signed_value = g_value_get_int64(&value);
		break;
	case G_TYPE_UINT:
		*is_unsigned = 1;
		*unsigned_value = g_value_get_uint(&value);
		break;
	case G_TYPE_ULONG:
		*is_unsigned = 1;
		*unsigned_value = g_value_get_ulong(&value);
		break;
	default:
		*is_unsigned = 1;
		*unsigned_value = g_value_get_uint64(&value);
		break;
	}
	g_value_unset(&value);
	return NULL;
}

char *shim_get_bool(GstElement *element, const char *name, int *value)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_READABLE, &err);
	gboolean b = FALSE;

	if (pspec == NULL)
		return err;
	if (G_TYPE_FUNDAMENTAL(pspec->value_type) != G_TYPE_BOOLEAN)
		return type_error(element, pspec, "a boolean");
	g_object_get(G_OBJECT(element), name, &b, NULL);
	*value = b ? 1 : 0;
	return NULL;
}

char *shim_get_string(GstElement *element, const char *name, char **value)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_READABLE, &err);

	if (pspec == NULL)
		return err;
	if (G_TYPE_FUNDAMENTAL(pspec->value_type) != G_TYPE_STRING)
		return type_error(element, pspec, "a string");
	*value = NULL;
	g_object_get(G_OBJECT(element), name, value, NULL);
	return NULL;
}

char *shim_get_enum(GstElement *element, const char *name, char **nick)
{
	char *err = NULL;
	GParamSpec *pspec = find_property(element, name, G_PARAM_READABLE, &err);
	gint raw = 0;

	if (pspec == NULL)
		return err;
	if (G_TYPE_FUNDAMENTAL(pspec->value_type) != G_TYPE_ENUM)
		return type_error(element, pspec, "an enum");
	g_object_get(G_OBJECT(element), name, &raw, NULL);

	GEnumClass *klass = g_type_class_ref(pspec->value_type);
	GEnumValue *ev = g_enum_get_value(klass, raw);
	if (ev == NULL)
		err = g_strdup_printf("property \"%s\" of %s holds %d, which has no nick", name,
				      GST_ELEMENT_NAME(element), raw);
	else
		*nick = g_strdup(ev->value_nick);
	g_type_class_unref(klass);
	return err;
}

/* ---- events ---- */

/*
 * Sends the standard downstream force-key-unit event to the element's sink pad,
 * where GstVideoEncoder-based encoders (vp8enc, x264enc, openh264enc, ...)
 * queue it and turn the next frame they encode into a keyframe. Running time
 * NONE means "as soon as possible"; all_headers asks for SPS/PPS again.
 */
char *shim_force_key_unit(GstElement *element, guint count, int *flushing)
{
	GstPad *pad = gst_element_get_static_pad(element, "sink");

	*flushing = 0;
	if (pad == NULL)
		return g_strdup_printf("%s has no sink pad", GST_ELEMENT_NAME(element));
	GstEvent *event = gst_video_event_new_downstream_force_key_unit(GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
									  GST_CLOCK_TIME_NONE, TRUE, count);
	if (event == NULL) {
		gst_object_unref(pad);
		return g_strdup("could not create the force-key-unit event");
	}
	gboolean ok = gst_pad_send_event(pad, event);
	/* A stopped pad refuses every event: the caller reports that as flushing. */
	*flushing = !ok && GST_PAD_IS_FLUSHING(pad);
	gst_object_unref(pad);
	if (!ok)
		return g_strdup_printf("%s refused the force-key-unit event", GST_ELEMENT_NAME(element));
	return NULL;
}

/* ---- appsrc ---- */

int shim_is_appsrc(GstElement *element)
{
	return GST_IS_APP_SRC(element);
}

/*
 * Refuses an appsrc whose queue could grow without bound, or whose segment is
 * not in time (Push carries timestamps).
 */
char *shim_appsrc_check(GstElement *element)
{
	gboolean block = FALSE;
	gint leaky = 0;
	GstFormat format = GST_FORMAT_UNDEFINED;
	guint64 max_buffers = 0, max_bytes = 0, max_time = 0;

	g_object_get(G_OBJECT(element), "block", &block, "leaky-type", &leaky, "format", &format, "max-buffers",
		     &max_buffers, "max-bytes", &max_bytes, "max-time", &max_time, NULL);
	if (format != GST_FORMAT_TIME)
		return g_strdup_printf("appsrc %s must have format=time", GST_ELEMENT_NAME(element));
	if (max_buffers == 0 && max_bytes == 0 && max_time == 0)
		return g_strdup_printf("appsrc %s has no queue limit (set max-buffers, max-bytes or max-time)",
				       GST_ELEMENT_NAME(element));
	if (!block && leaky == GST_APP_LEAKY_TYPE_NONE)
		return g_strdup_printf("appsrc %s would queue without bound: set leaky-type=downstream (or upstream), "
				       "or block=true",
				       GST_ELEMENT_NAME(element));
	return NULL;
}

int shim_appsrc_push(GstElement *element, const void *data, gsize size, guint64 pts, guint64 duration)
{
	GstBuffer *buffer = gst_buffer_new_allocate(NULL, size, NULL);

	if (buffer == NULL)
		return GST_FLOW_ERROR;
	if (gst_buffer_fill(buffer, 0, data, size) != size) {
		gst_buffer_unref(buffer);
		return GST_FLOW_ERROR;
	}
	GST_BUFFER_PTS(buffer) = pts;
	GST_BUFFER_DURATION(buffer) = duration;
	return gst_app_src_push_buffer(GST_APP_SRC(element), buffer);
}

/*
 * GStreamer 1.22 parses lists whose elements have different types ("{ I420,
 * 0312 }" holds a string and an int) and then crashes comparing them with
 * other caps (strcmp on an int, in gst_caps_is_equal; found by fuzzing).
 * Such values are refused here, with empty lists, which no caps need.
 */
static gboolean value_is_homogeneous(const GValue *value)
{
	gboolean is_list = GST_VALUE_HOLDS_LIST(value);

	if (!is_list && !GST_VALUE_HOLDS_ARRAY(value))
		return TRUE;
	guint n = is_list ? gst_value_list_get_size(value) : gst_value_array_get_size(value);
	if (is_list && n == 0)
		return FALSE;
	GType type = G_TYPE_INVALID;
	for (guint i = 0; i < n; i++) {
		const GValue *item = is_list ? gst_value_list_get_value(value, i) : gst_value_array_get_value(value, i);
		if (i == 0)
			type = G_VALUE_TYPE(item);
		if (G_VALUE_TYPE(item) != type || !value_is_homogeneous(item))
			return FALSE;
	}
	return TRUE;
}

static gboolean field_is_homogeneous(GQuark field, const GValue *value, gpointer user_data)
{
	(void)field;
	(void)user_data;
	return value_is_homogeneous(value);
}

char *shim_appsrc_set_caps(GstElement *element, const char *text)
{
	GstCaps *caps = gst_caps_from_string(text);

	if (caps == NULL)
		return g_strdup_printf("invalid caps \"%s\"", text);
	for (guint i = 0; i < gst_caps_get_size(caps); i++) {
		if (!gst_structure_foreach(gst_caps_get_structure(caps, i), field_is_homogeneous, NULL)) {
			gst_caps_unref(caps);
			return g_strdup_printf("caps \"%s\" hold a list mixing value types, or an empty list", text);
		}
	}
	gst_app_src_set_caps(GST_APP_SRC(element), caps);
	gst_caps_unref(caps);
	return NULL;
}

int shim_appsrc_end_of_stream(GstElement *element)
{
	return gst_app_src_end_of_stream(GST_APP_SRC(element));
}

/*
 * Sends force-key-unit through an appsrc: appsrc queues serialized events with
 * its buffers, so the event reaches the encoder ahead of the next buffer pushed
 * after it, and the call never waits for the streaming thread.
 */
char *shim_appsrc_force_key_unit(GstElement *element, guint count)
{
	GstEvent *event = gst_video_event_new_downstream_force_key_unit(GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
									  GST_CLOCK_TIME_NONE, TRUE, count);

	if (event == NULL)
		return g_strdup("could not create the force-key-unit event");
	if (!gst_element_send_event(element, event))
		return g_strdup_printf("%s refused the force-key-unit event", GST_ELEMENT_NAME(element));
	return NULL;
}

const char *shim_flow_name(int flow)
{
	return gst_flow_get_name((GstFlowReturn)flow);
}

/* ---- appsink ---- */

typedef struct {
	uintptr_t handle;
	GstCaps *last_caps; /* only touched from the single streaming thread of the sink */
} ShimSink;

static void sink_free(gpointer data)
{
	ShimSink *sink = data;

	gst_caps_replace(&sink->last_caps, NULL);
	g_free(sink);
}

/*
 * Maps a buffer timestamp through the sample's segment, so that Go sees the
 * timeline it pushed: encoders such as x264enc shift their output segment
 * (by 1000 hours) and their buffer timestamps with it.
 */
static GstClockTime running_time(GstSample *sample, GstClockTime t)
{
	const GstSegment *segment = gst_sample_get_segment(sample);

	if (segment == NULL || segment->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID(t))
		return t;
	return gst_segment_to_running_time(segment, GST_FORMAT_TIME, t);
}

static void deliver_sample(ShimSink *sink, GstSample *sample)
{
	GstBuffer *buffer = gst_sample_get_buffer(sample);
	GstCaps *caps = gst_sample_get_caps(sample);
	gchar *caps_text = NULL;
	GstMapInfo map;

	if (buffer == NULL)
		return;
	/* The caps text is produced only when the caps change: Go keeps the last one. */
	if (caps != sink->last_caps) {
		if (caps != NULL && (sink->last_caps == NULL || !gst_caps_is_equal(caps, sink->last_caps)))
			caps_text = gst_caps_to_string(caps);
		gst_caps_replace(&sink->last_caps, caps);
	}
	if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
		gstGoSinkSample(sink->handle, NULL, 0, 0, 0, 0, 0, caps_text, 0);
		g_free(caps_text);
		return;
	}
	gstGoSinkSample(sink->handle, map.data, map.size, running_time(sample, GST_BUFFER_PTS(buffer)),
			running_time(sample, GST_BUFFER_DTS(buffer)), GST_BUFFER_DURATION(buffer), GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT) ? 1 : 0,
			caps_text, 1);
	gst_buffer_unmap(buffer, &map);
	g_free(caps_text);
}

/*
 * Called on the streaming thread for every new sample. It drains the sink, so
 * samples queued before the callbacks were attached are not left behind.
 */
static GstFlowReturn on_new_sample(GstAppSink *appsink, gpointer user_data)
{
	GstSample *sample;

	while ((sample = gst_app_sink_try_pull_sample(appsink, 0)) != NULL) {
		deliver_sample(user_data, sample);
		gst_sample_unref(sample);
	}
	return GST_FLOW_OK;
}

int shim_is_appsink(GstElement *element)
{
	return GST_IS_APP_SINK(element);
}

void shim_appsink_attach(GstElement *element, uintptr_t handle)
{
	GstAppSinkCallbacks callbacks = {0};
	ShimSink *sink = g_new0(ShimSink, 1);

	sink->handle = handle;
	callbacks.new_sample = on_new_sample;
	gst_app_sink_set_callbacks(GST_APP_SINK(element), &callbacks, sink, sink_free);
}

void shim_appsink_detach(GstElement *element)
{
	GstAppSinkCallbacks none = {0};

	gst_app_sink_set_callbacks(GST_APP_SINK(element), &none, NULL, NULL);
}
