# cronq-agentd: filled in by the daemon work (issue 3).

# The daemon's parts that unit tests link as well as cronq-agentd.
AGENTD_CORE_SOURCES = \
	agentd/child.c agentd/child.h \
	agentd/child-exec.c agentd/child-exec.h \
	agentd/output.c agentd/output.h
noinst_LIBRARIES += agentd/libagentd.a
agentd_libagentd_a_SOURCES = $(AGENTD_CORE_SOURCES)
agentd_libagentd_a_CFLAGS = $(AM_CFLAGS)
