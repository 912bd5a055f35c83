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

# HTTP jobs per second against a loopback server (bench/README.md).
EXTRA_DIST += bench/http-jobs
.PHONY: bench-http
bench-http: cronq-agentd$(EXEEXT)
	$(PYTHON3) $(srcdir)/bench/http-jobs --agentd ./cronq-agentd$(EXEEXT)
