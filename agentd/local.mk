# cronq-agentd: filled in by the daemon work (issue 3).

# The API server (gateway, handlers, metrics). These belong in
# cronq_agentd_SOURCES, not in a library: main() reaches gateway_start
# weakly. The OpenAPI document is compiled in from docs/openapi.json.
GATEWAY_SRC = \
	agentd/gateway.c agentd/gateway.h \
	agentd/gateway-events.c \
	agentd/gateway-unix.c \
	agentd/handlers.c \
	agentd/handlers-jobs.c \
	agentd/handlers-runs.c \
	agentd/handlers-legacy.c \
	agentd/handlers-admin.c \
	agentd/gateway-remote.c \
	agentd/gateway-listen.c agentd/gateway-int.h \
	agentd/handlers-groups.c \
	agentd/handlers-notify.c \
	agentd/metrics.c
GATEWAY_GEN = agentd/openapi-doc.c
GATEWAY_INC = $(CJSON_CFLAGS) $(MHD_CFLAGS) $(JWT_CFLAGS) $(NETTLE_CFLAGS)
GATEWAY_LINK = $(MHD_LIBS) $(CJSON_LIBS) $(NETTLE_LIBS)
CLEANFILES += $(GATEWAY_GEN)

agentd/openapi-doc.c: $(top_srcdir)/docs/openapi.json
	$(AM_V_GEN)$(MKDIR_P) agentd && { \
	    echo '/* Generated from docs/openapi.json; do not edit. */'; \
	    echo 'const char api_openapi_json[] ='; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
	        $(top_srcdir)/docs/openapi.json; \
	    echo ';'; } > $@.tmp && mv $@.tmp $@

# The daemon's parts that unit tests link as well as cronq-agentd.
AGENTD_CORE_SOURCES = \
	agentd/child.c agentd/child.h \
	agentd/child-exec.c agentd/child-exec.h \
	agentd/sandbox.c agentd/sandbox-cgroup.c agentd/sandbox.h \
	agentd/idcache.c agentd/idcache.h \
	agentd/sandbox-int.h \
	agentd/output.c agentd/output.h \
	agentd/agentd.h \
	agentd/loop.c agentd/loop.h \
	agentd/run.c \
	agentd/state.c \
	agentd/store.c agentd/store-runs.c agentd/store-sql.c \
	agentd/store-cache.c \
	agentd/store-sql.h \
	agentd/scheduler.c agentd/scheduler-heap.c agentd/scheduler-int.h \
	agentd/supervisor.c agentd/supervisor-end.c agentd/supervisor-remote.c \
	agentd/supervisor-int.h \
	agentd/ops.c agentd/ops-runs.c \
	agentd/remote.h agentd/config.c agentd/ratelimit.c agentd/auth.c \
	agentd/store-auth.c agentd/store-detached.c \
	agentd/files.c \
	agentd/ops-bulk.c \
	agentd/queue.c agentd/queue.h agentd/queue_local.c \
	agentd/queue_amqp.c agentd/amqp-worker.c agentd/amqp-sched.c \
	agentd/amqp-int.h \
	agentd/amqp-conn.c agentd/amqp-conn.h \
	agentd/curlloop.c agentd/curlloop.h \
	agentd/httpjob.c agentd/httpjob.h \
	agentd/groups.c \
	agentd/notify.c agentd/notify.h \
	agentd/store-notify.c \
	agentd/dlib.c agentd/dlib.h
noinst_LIBRARIES += agentd/libagentd.a
agentd_libagentd_a_SOURCES = $(AGENTD_CORE_SOURCES)
agentd_libagentd_a_CFLAGS = $(AM_CFLAGS) $(AGENTD_DLIB_CFLAGS) $(NETTLE_CFLAGS)

# libcurl, librabbitmq and libjwt are loaded on first use (agentd/dlib.h),
# not linked: the daemon takes only their headers. curl's gcc type checker
# wraps curl_easy_setopt in a macro that cannot call through dlib.h's
# function pointers, hence CURL_DISABLE_TYPECHECK.
AGENTD_DLIB_CFLAGS = -DCURL_DISABLE_TYPECHECK $(CURL_CFLAGS) $(AMQP_CFLAGS) \
	$(JWT_CFLAGS)

# What the daemon links besides libcronq and libagentd. No $(CURL_LIBS),
# $(AMQP_LIBS) or $(JWT_LIBS): see AGENTD_DLIB_CFLAGS.
AGENTD_LIBS = $(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) \
	$(SECCOMP_LIBS) $(BSD_LIBS)

sbin_PROGRAMS += cronq-agentd
nodist_cronq_agentd_SOURCES = $(GATEWAY_GEN)
cronq_agentd_SOURCES = agentd/agentd.c $(GATEWAY_SRC)
cronq_agentd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(GATEWAY_INC)
cronq_agentd_LDADD = agentd/libagentd.a lib/libcronq.a $(GATEWAY_LINK) \
	$(AGENTD_LIBS)

systemdsystemunit_DATA = agentd/cronq-agentd.service
agentd/cronq-agentd.service: $(top_srcdir)/agentd/cronq-agentd.service.in
	$(AM_V_GEN)mkdir -p agentd && sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(top_srcdir)/agentd/cronq-agentd.service.in > $@
EXTRA_DIST += agentd/cronq-agentd.service.in
CLEANFILES += agentd/cronq-agentd.service
