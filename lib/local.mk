noinst_LIBRARIES += lib/libcronq.a
lib_libcronq_a_SOURCES = \
	lib/cronq.h lib/pathnames.h \
	lib/civil.c lib/civil.h \
	lib/client.c lib/client.h \
	lib/tz.c lib/tz-load.c lib/tz-int.h lib/tz.h \
	lib/cronexpr.c lib/cronexpr-next.c lib/cronexpr-notes.c lib/cronexpr.h \
	lib/util.c lib/util.h \
	lib/job.c lib/job-fail.c lib/job-from.c lib/job-json.c lib/job-labels.c lib/job-ext.c lib/job.h \
	lib/jobfile.c lib/jobfile-schema.c lib/jobfile-io.c lib/jobfile.h \
	lib/jobfile-syntax.c lib/jobfile-jobs.c \
	lib/jobfile-int.h \
	lib/job-sandbox.c lib/job-sandbox.h \
	lib/log.c lib/log.h \
	lib/xmalloc.c lib/xmalloc.h
lib_libcronq_a_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(YAML_CFLAGS)
