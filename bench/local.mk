# Benchmarks are built on demand (make bench), never by make all or make
# check: EXTRA_PROGRAMS are only built when a rule asks for them.
EXTRA_PROGRAMS += bench/cron-bench
bench_cron_bench_SOURCES = bench/cron-bench.c
bench_cron_bench_LDADD = lib/libcronq.a $(BSD_LIBS)
CLEANFILES += bench/cron-bench$(EXEEXT)
EXTRA_DIST += bench/compare bench/package.json bench/peers

.PHONY: bench
# Runs the comparison with croner, cron-parser and croniter; it installs
# the npm peers into bench/node_modules and python3-croniter when root.
bench: bench/cron-bench$(EXEEXT)
	$(PYTHON3) $(srcdir)/bench/compare --cronq bench/cron-bench$(EXEEXT)

# The cost of the run sandbox (issue 6): make bench-sandbox, as root for
# the namespaces; BENCH_CGROUP_ROOT names a cgroup2 directory for leaves.
EXTRA_PROGRAMS += bench/sandbox-bench
bench_sandbox_bench_SOURCES = bench/sandbox-bench.c
bench_sandbox_bench_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/agentd
bench_sandbox_bench_LDADD = agentd/libagentd.a lib/libcronq.a $(CJSON_LIBS) \
	$(SECCOMP_LIBS) $(BSD_LIBS)
CLEANFILES += bench/sandbox-bench$(EXEEXT)
BENCH_RUNS = 500
.PHONY: bench-sandbox
bench-sandbox: bench/sandbox-bench$(EXEEXT)
	bench/sandbox-bench$(EXEEXT) -n $(BENCH_RUNS) \
	    $(if $(BENCH_CGROUP_ROOT),-c $(BENCH_CGROUP_ROOT))
