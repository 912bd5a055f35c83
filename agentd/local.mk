# cronq-agentd: filled in by the daemon work (issue 3).

# The daemon's parts that unit tests link as well as cronq-agentd.
AGENTD_CORE_SOURCES = \
	agentd/child.c agentd/child.h \
	agentd/output.c agentd/output.h \
	agentd/agentd.h \
	agentd/loop.c agentd/loop.h \
	agentd/run.c \
	agentd/state.c \
	agentd/store.c agentd/store-runs.c agentd/store-sql.c \
	agentd/store-sql.h \
	agentd/scheduler.c \
	agentd/supervisor.c \
	agentd/ops.c
noinst_LIBRARIES += agentd/libagentd.a
agentd_libagentd_a_SOURCES = $(AGENTD_CORE_SOURCES)
agentd_libagentd_a_CFLAGS = $(AM_CFLAGS)

# What the daemon links besides libcronq and libagentd.
AGENTD_LIBS = $(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(SYSTEMD_LIBS) \
	$(BSD_LIBS)

sbin_PROGRAMS += cronq-agentd
cronq_agentd_SOURCES = agentd/agentd.c
cronq_agentd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS)
cronq_agentd_LDADD = agentd/libagentd.a lib/libcronq.a $(AGENTD_LIBS)

systemdsystemunit_DATA = agentd/cronq-agentd.service
agentd/cronq-agentd.service: $(top_srcdir)/agentd/cronq-agentd.service.in
	$(AM_V_GEN)mkdir -p agentd && sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(top_srcdir)/agentd/cronq-agentd.service.in > $@
EXTRA_DIST += agentd/cronq-agentd.service.in
CLEANFILES += agentd/cronq-agentd.service
