# Every test speaks TAP, so automake counts each test point (not each file)
# and scripts/check can print one "N passed, N failed" line for the lot.

LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .bats .sh .san
BATS_LOG_DRIVER = $(LOG_DRIVER)
BATS_LOG_COMPILER = $(BATS)
AM_BATS_LOG_FLAGS = --tap
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
SAN_LOG_DRIVER = $(LOG_DRIVER)
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	CRONQ='$(abs_top_builddir)/cronq'; export CRONQ; \
	CRONQ_AGENTD='$(abs_top_builddir)/cronq-agentd'; export CRONQ_AGENTD;

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LDADD = lib/libcronq.a $(CMOCKA_LIBS) $(YAML_LIBS) $(BSD_LIBS)

UNIT_TESTS = \
	tests/unit/test-civil \
	tests/unit/test-tz \
	tests/unit/test-cronexpr \
	tests/unit/test-util \
	tests/unit/test-child \
	tests/unit/test-sandbox \
	tests/unit/test-output \
	tests/unit/test-job \
	tests/unit/test-jobfile \
	tests/unit/test-job-ext \
	tests/unit/test-store \
	tests/unit/test-scheduler \
	tests/unit/test-remote \
	tests/unit/test-top-model
check_PROGRAMS += $(UNIT_TESTS)

# cronq top's model, with the CLI files it needs (no curses, no client).
tests_unit_test_top_model_SOURCES = tests/unit/test-top-model.c \
	cli/top/top-model.c cli/top/top-text.c cli/print.c cli/msg.c
tests_unit_test_top_model_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cli \
	-I$(top_srcdir)/cli/top
tests_unit_test_top_model_CFLAGS = $(UNIT_CFLAGS) $(CJSON_CFLAGS)
tests_unit_test_top_model_LDADD = $(UNIT_LDADD) $(CJSON_LIBS)

tests_unit_test_civil_SOURCES = tests/unit/test-civil.c
tests_unit_test_civil_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_civil_LDADD = $(UNIT_LDADD)
tests_unit_test_tz_SOURCES = tests/unit/test-tz.c tests/unit/test-tz-file.c \
	tests/unit/tz-check.h
tests_unit_test_tz_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tz_LDADD = $(UNIT_LDADD)
tests_unit_test_cronexpr_SOURCES = tests/unit/test-cronexpr.c
tests_unit_test_cronexpr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cronexpr_LDADD = $(UNIT_LDADD)
tests_unit_test_util_SOURCES = tests/unit/test-util.c
tests_unit_test_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_util_LDADD = $(UNIT_LDADD)
tests_unit_test_child_SOURCES = tests/unit/test-child.c
tests_unit_test_child_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/agentd
tests_unit_test_child_LDADD = agentd/libagentd.a $(UNIT_LDADD)
tests_unit_test_sandbox_SOURCES = tests/unit/test-sandbox.c
tests_unit_test_sandbox_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/agentd
tests_unit_test_sandbox_LDADD = agentd/libagentd.a $(UNIT_LDADD) \
	$(DAEMON_UNIT_LIBS)
tests_unit_test_output_SOURCES = tests/unit/test-output.c
tests_unit_test_output_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/agentd
tests_unit_test_output_LDADD = agentd/libagentd.a $(UNIT_LDADD)
# The daemon's own parts (job model, store, scheduler).
DAEMON_UNIT_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/agentd
DAEMON_UNIT_LIBS = $(SQLITE_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(AMQP_LIBS) $(CURL_LIBS) \
	$(SECCOMP_LIBS)
tests_unit_test_job_SOURCES = tests/unit/test-job.c
tests_unit_test_job_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_job_LDADD = $(UNIT_LDADD) $(CJSON_LIBS)
tests_unit_test_jobfile_SOURCES = tests/unit/test-jobfile.c
tests_unit_test_jobfile_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobfile_LDADD = $(UNIT_LDADD) $(CJSON_LIBS)
tests_unit_test_job_ext_SOURCES = tests/unit/test-job-ext.c
tests_unit_test_job_ext_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_job_ext_LDADD = $(UNIT_LDADD) $(CJSON_LIBS)
tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_store_LDADD = agentd/libagentd.a $(UNIT_LDADD) \
	$(DAEMON_UNIT_LIBS)
tests_unit_test_scheduler_SOURCES = tests/unit/test-scheduler.c
tests_unit_test_scheduler_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_scheduler_LDADD = agentd/libagentd.a $(UNIT_LDADD) \
	$(DAEMON_UNIT_LIBS)
tests_unit_test_remote_SOURCES = tests/unit/test-remote.c
tests_unit_test_remote_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_remote_LDADD = agentd/libagentd.a $(UNIT_LDADD) \
	$(DAEMON_UNIT_LIBS) $(YAML_LIBS) $(JWT_LIBS) $(NETTLE_LIBS)

CLI_TESTS = \
	tests/cli/next.bats \
	tests/cli/api.bats \
	tests/cli/daemon.bats \
	tests/cli/cli.bats \
	tests/cli/top.bats \
	tests/cli/field.bats \
	tests/cli/files.bats \
	tests/cli/httpjobs.bats \
	tests/cli/lazylib.bats \
	tests/cli/remote.bats \
	tests/cli/sandbox.bats \
	tests/cli/addflags.bats \
	tests/cli/completions.bats
EXTRA_DIST += $(CLI_TESTS) tests/cli/helpers.bash tests/cron-cases.sh tests/data
EXTRA_DIST += tests/httpd.py

# cronq over RabbitMQ against a private rabbitmq-server (about a minute,
# most of it the broker starting twice): `make check-amqp`, which
# scripts/check runs after `make check`.
AMQP_TESTS = tests/amqp/amqp.bats
EXTRA_DIST += $(AMQP_TESTS) tests/amqp/broker.bash
check-amqp: all
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(AMQP_TESTS)' \
	    TEST_SUITE_LOG=test-suite-amqp.log
.PHONY: check-amqp

TESTS += $(UNIT_TESTS) tests/cron-cases.sh
if HAVE_BATS
TESTS += $(CLI_TESTS)
endif

# The sanitizer flavour: the same unit tests against an ASan+UBSan build of
# libcronq, built on demand so that plain "make check" stays quick. They
# live under tests/unit/san/ with a .san suffix so their logs and results
# stand beside the plain ones instead of over them.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
EXTRA_LIBRARIES = lib/libcronq-san.a agentd/libagentd-san.a
lib_libcronq_san_a_SOURCES = $(lib_libcronq_a_SOURCES)
lib_libcronq_san_a_CFLAGS = $(AM_CFLAGS) $(SAN_FLAGS)
agentd_libagentd_san_a_SOURCES = $(AGENTD_CORE_SOURCES)
agentd_libagentd_san_a_CFLAGS = $(AM_CFLAGS) $(AGENTD_DLIB_CFLAGS) $(SAN_FLAGS)
SAN_TESTS = \
	tests/unit/san/test-civil.san \
	tests/unit/san/test-tz.san \
	tests/unit/san/test-cronexpr.san \
	tests/unit/san/test-util.san \
	tests/unit/san/test-child.san \
	tests/unit/san/test-sandbox.san \
	tests/unit/san/test-output.san \
	tests/unit/san/test-job.san \
	tests/unit/san/test-jobfile.san \
	tests/unit/san/test-job-ext.san \
	tests/unit/san/test-store.san \
	tests/unit/san/test-scheduler.san \
	tests/unit/san/test-remote.san \
	tests/unit/san/test-top-model.san
EXTRA_PROGRAMS = $(SAN_TESTS)
tests_unit_san_test_top_model_san_SOURCES = $(tests_unit_test_top_model_SOURCES)
tests_unit_san_test_top_model_san_CPPFLAGS = $(tests_unit_test_top_model_CPPFLAGS)
tests_unit_san_test_top_model_san_CFLAGS = $(tests_unit_test_top_model_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_top_model_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_top_model_san_LDADD = $(SAN_LDADD) $(CJSON_LIBS)
SAN_LDADD = lib/libcronq-san.a $(CMOCKA_LIBS) $(YAML_LIBS) $(BSD_LIBS)
tests_unit_san_test_civil_san_SOURCES = $(tests_unit_test_civil_SOURCES)
tests_unit_san_test_civil_san_CFLAGS = $(tests_unit_test_civil_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_civil_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_civil_san_LDADD = $(SAN_LDADD)
tests_unit_san_test_tz_san_SOURCES = $(tests_unit_test_tz_SOURCES)
tests_unit_san_test_tz_san_CFLAGS = $(tests_unit_test_tz_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_tz_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_tz_san_LDADD = $(SAN_LDADD)
tests_unit_san_test_cronexpr_san_SOURCES = $(tests_unit_test_cronexpr_SOURCES)
tests_unit_san_test_cronexpr_san_CFLAGS = $(tests_unit_test_cronexpr_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_cronexpr_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_cronexpr_san_LDADD = $(SAN_LDADD)
tests_unit_san_test_util_san_SOURCES = $(tests_unit_test_util_SOURCES)
tests_unit_san_test_util_san_CFLAGS = $(tests_unit_test_util_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_util_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_util_san_LDADD = $(SAN_LDADD)
tests_unit_san_test_child_san_SOURCES = $(tests_unit_test_child_SOURCES)
tests_unit_san_test_child_san_CFLAGS = $(tests_unit_test_child_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_child_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_child_san_LDADD = agentd/libagentd-san.a $(SAN_LDADD)
tests_unit_san_test_sandbox_san_SOURCES = $(tests_unit_test_sandbox_SOURCES)
tests_unit_san_test_sandbox_san_CFLAGS = $(tests_unit_test_sandbox_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_sandbox_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_sandbox_san_LDADD = agentd/libagentd-san.a $(SAN_LDADD) \
	$(DAEMON_UNIT_LIBS)
tests_unit_san_test_output_san_SOURCES = $(tests_unit_test_output_SOURCES)
tests_unit_san_test_output_san_CFLAGS = $(tests_unit_test_output_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_output_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_output_san_LDADD = agentd/libagentd-san.a $(SAN_LDADD)
tests_unit_san_test_job_san_SOURCES = $(tests_unit_test_job_SOURCES)
tests_unit_san_test_job_san_CFLAGS = $(tests_unit_test_job_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_job_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_job_san_LDADD = $(SAN_LDADD) $(CJSON_LIBS)
tests_unit_san_test_jobfile_san_SOURCES = $(tests_unit_test_jobfile_SOURCES)
tests_unit_san_test_jobfile_san_CFLAGS = $(tests_unit_test_jobfile_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_jobfile_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_jobfile_san_LDADD = $(SAN_LDADD) $(CJSON_LIBS)
tests_unit_san_test_job_ext_san_SOURCES = $(tests_unit_test_job_ext_SOURCES)
tests_unit_san_test_job_ext_san_CFLAGS = $(tests_unit_test_job_ext_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_job_ext_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_job_ext_san_LDADD = $(SAN_LDADD) $(CJSON_LIBS)
tests_unit_san_test_store_san_SOURCES = $(tests_unit_test_store_SOURCES)
tests_unit_san_test_store_san_CFLAGS = $(tests_unit_test_store_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_store_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_store_san_LDADD = agentd/libagentd-san.a $(SAN_LDADD) $(DAEMON_UNIT_LIBS)
tests_unit_san_test_scheduler_san_SOURCES = $(tests_unit_test_scheduler_SOURCES)
tests_unit_san_test_scheduler_san_CFLAGS = $(tests_unit_test_scheduler_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_scheduler_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_scheduler_san_LDADD = agentd/libagentd-san.a $(SAN_LDADD) $(DAEMON_UNIT_LIBS)
tests_unit_san_test_remote_san_SOURCES = $(tests_unit_test_remote_SOURCES)
tests_unit_san_test_remote_san_CFLAGS = $(tests_unit_test_remote_CFLAGS) $(SAN_FLAGS)
tests_unit_san_test_remote_san_LDFLAGS = $(SAN_FLAGS)
tests_unit_san_test_remote_san_LDADD = agentd/libagentd-san.a $(SAN_LDADD) $(DAEMON_UNIT_LIBS) $(YAML_LIBS) $(JWT_LIBS) $(NETTLE_LIBS)
CLEANFILES += $(SAN_TESTS) lib/libcronq-san.a agentd/libagentd-san.a

check-asan: lib/libcronq-san.a agentd/libagentd-san.a $(SAN_TESTS)
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(SAN_TESTS)' \
	    TEST_SUITE_LOG=test-suite-san.log \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
.PHONY: check-asan

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -I$(top_srcdir)/lib -I$(top_builddir)
fuzz: tests/fuzz/fuzz-cronexpr tests/fuzz/fuzz-jobfile
	mkdir -p tests/fuzz/corpus-cronexpr tests/fuzz/corpus-jobfile
	./tests/fuzz/fuzz-cronexpr -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=256 tests/fuzz/corpus-cronexpr $(top_srcdir)/tests/fuzz/seeds-cronexpr
	./tests/fuzz/fuzz-jobfile -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -timeout=10 tests/fuzz/corpus-jobfile $(top_srcdir)/tests/fuzz/seeds-jobfile
tests/fuzz/fuzz-cronexpr: $(top_srcdir)/tests/fuzz/fuzz-cronexpr.c $(lib_libcronq_a_SOURCES)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(BSD_CFLAGS) -o $@ $(top_srcdir)/tests/fuzz/fuzz-cronexpr.c \
	    $(addprefix $(top_srcdir)/,$(filter %.c,$(lib_libcronq_a_SOURCES))) \
	    $(CURL_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(BSD_LIBS)
tests/fuzz/fuzz-jobfile: $(top_srcdir)/tests/fuzz/fuzz-jobfile.c $(lib_libcronq_a_SOURCES)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(BSD_CFLAGS) -o $@ $(top_srcdir)/tests/fuzz/fuzz-jobfile.c \
	    $(addprefix $(top_srcdir)/,$(filter %.c,$(lib_libcronq_a_SOURCES))) \
	    $(CURL_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(BSD_LIBS)
.PHONY: fuzz
EXTRA_DIST += tests/fuzz
CLEANFILES += tests/fuzz/fuzz-cronexpr tests/fuzz/fuzz-jobfile
