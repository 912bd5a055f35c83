noinst_LIBRARIES += lib/libcronq.a
lib_libcronq_a_SOURCES = \
	lib/cronq.h \
	lib/civil.c lib/civil.h \
	lib/tz.c lib/tz-load.c lib/tz-int.h lib/tz.h \
	lib/cronexpr.c lib/cronexpr-next.c lib/cronexpr.h \
	lib/util.c lib/util.h \
	lib/log.c lib/log.h \
	lib/xmalloc.c lib/xmalloc.h
lib_libcronq_a_CFLAGS = $(AM_CFLAGS)
