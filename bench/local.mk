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

# The daemon's benchmark (issue 3): small C baselines and a load generator
# beside bench/daemon/run, which starts real daemons and prints the table
# of bench/README.md "Daemon (issue 3)". make bench-daemon BENCH_ARGS=--quick
# checks the script in a minute.
BENCH_DAEMON_PROGS = bench/daemon/stamp bench/daemon/spawn-bare \
	bench/daemon/mhd-bare bench/daemon/loadgen
EXTRA_PROGRAMS += $(BENCH_DAEMON_PROGS)
bench_daemon_stamp_SOURCES = bench/daemon/stamp.c
# Static: nothing (no dynamic loader) runs between exec and its clock read.
bench_daemon_stamp_LDFLAGS = -static
bench_daemon_spawn_bare_SOURCES = bench/daemon/spawn-bare.c
bench_daemon_mhd_bare_SOURCES = bench/daemon/mhd-bare.c
bench_daemon_mhd_bare_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
bench_daemon_mhd_bare_LDADD = $(MHD_LIBS)
bench_daemon_loadgen_SOURCES = bench/daemon/loadgen.c
bench_daemon_loadgen_LDADD = $(BSD_LIBS)
CLEANFILES += $(BENCH_DAEMON_PROGS)
EXTRA_DIST += bench/daemon/run
BENCH_ARGS =

.PHONY: bench-daemon
bench-daemon: cronq-agentd$(EXEEXT) $(BENCH_DAEMON_PROGS)
	$(PYTHON3) $(srcdir)/bench/daemon/run --agentd ./cronq-agentd$(EXEEXT) \
	    --bindir bench/daemon --json bench/daemon/results.json $(BENCH_ARGS)
CLEANFILES += bench/daemon/results.json

# HTTP jobs per second against a loopback server (bench/README.md).
EXTRA_DIST += bench/http-jobs
.PHONY: bench-http
bench-http: cronq-agentd$(EXEEXT)
	$(PYTHON3) $(srcdir)/bench/http-jobs --agentd ./cronq-agentd$(EXEEXT)

# The remote-control benchmark (issue 5): cronq-agentd over TLS with a
# token and over its socket, each beside a bare libmicrohttpd server, with
# wrk and bench/daemon/loadgen. See bench/README.md "Remote control".
EXTRA_PROGRAMS += bench/remote/mhd-tls-bare
bench_remote_mhd_tls_bare_SOURCES = bench/remote/mhd-tls-bare.c
bench_remote_mhd_tls_bare_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
bench_remote_mhd_tls_bare_LDADD = $(MHD_LIBS)
EXTRA_DIST += bench/remote/run
.PHONY: bench-remote
bench-remote: cronq-agentd$(EXEEXT) bench/remote/mhd-tls-bare \
	bench/daemon/mhd-bare bench/daemon/loadgen
	$(PYTHON3) $(srcdir)/bench/remote/run --agentd ./cronq-agentd$(EXEEXT) \
	    --bindir bench $(BENCH_ARGS)
CLEANFILES += bench/remote/mhd-tls-bare$(EXEEXT)

# The cost of the run sandbox (issue 6): make bench-sandbox, as root for
# the namespaces; BENCH_CGROUP_ROOT names a cgroup2 directory for leaves.
EXTRA_PROGRAMS += bench/sandbox-bench
bench_sandbox_bench_SOURCES = bench/sandbox-bench.c
bench_sandbox_bench_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/agentd
bench_sandbox_bench_LDADD = agentd/libagentd.a lib/libcronq.a $(AGENTD_LIBS)
CLEANFILES += bench/sandbox-bench$(EXEEXT)
BENCH_RUNS = 500
.PHONY: bench-sandbox
bench-sandbox: bench/sandbox-bench$(EXEEXT)
	bench/sandbox-bench$(EXEEXT) -n $(BENCH_RUNS) \
	    $(if $(BENCH_CGROUP_ROOT),-c $(BENCH_CGROUP_ROOT))
