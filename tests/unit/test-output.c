/* SPDX-License-Identifier: ISC */
/* Capped run logs: order, stream marks, binary data, head and tail. */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output.h"

struct text {
	char *buf;
	size_t len;
};

static char test_dir[] = "/tmp/test-output.XXXXXX";
static char test_path[128];

static int
text_sink(void *arg, const void *buf, size_t len)
{
	struct text *t = arg;

	t->buf = realloc(t->buf, t->len + len + 1);
	assert_non_null(t->buf);
	memcpy(t->buf + t->len, buf, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

/* Renders test_path into T (freed by the caller), asserting success. */
static void
render(int flags, struct text *t, struct output_stats *st)
{
	char *cause = NULL;

	t->buf = NULL;
	t->len = 0;
	assert_int_equal(
	    output_render(test_path, flags, text_sink, t, st, &cause), 0);
	assert_null(cause);
	if (t->buf == NULL)
		t->buf = calloc(1, 1);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(test_dir) == NULL)
		return -1;
	snprintf(test_path, sizeof test_path, "%s/run.log", test_dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(test_path);
	return rmdir(test_dir);
}

static struct output *
open_log(uint64_t cap)
{
	char *cause = NULL;
	struct output *o = output_open(test_path, cap, &cause);

	assert_non_null(o);
	assert_null(cause);
	return o;
}

static void
test_interleaved(void **state)
{
	struct output_stats st;
	struct output *o = open_log(1 << 20);
	struct text t;

	(void)state;
	assert_int_equal(output_write(o, OUTPUT_STDOUT, "a\n", 2), 0);
	assert_int_equal(output_write(o, OUTPUT_STDERR, "b\n", 2), 0);
	assert_int_equal(output_write(o, OUTPUT_STDOUT, "c", 1), 0);
	assert_int_equal(output_write(o, OUTPUT_STDERR, "d\n", 2), 0);
	assert_int_equal(output_write(o, OUTPUT_STDERR, "e", 1), 0);
	assert_int_equal(output_close(o), 0);

	render(0, &t, &st);
	assert_string_equal(t.buf, "a\nb\ncd\ne");
	assert_int_equal(st.total, 8);
	assert_int_equal(st.kept, 8);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.finished, 1);
	free(t.buf);

	/* A stream change inside a line starts a new prefixed line. */
	render(OUTPUT_RENDER_PREFIX, &t, NULL);
	assert_string_equal(t.buf, "out: a\nerr: b\nout: c\nerr: d\nerr: e\n");
	free(t.buf);
}

static void
test_binary(void **state)
{
	unsigned char buf[256 * 40];
	struct output *o = open_log(1 << 20);
	struct text t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof buf; i++)
		buf[i] = i * 7 + i / 256;
	/* Odd sizes, so that records straddle block boundaries. */
	for (i = 0; i < sizeof buf; i += 1001)
		output_write(o, OUTPUT_STDOUT, buf + i,
		    sizeof buf - i < 1001 ? sizeof buf - i : 1001);
	assert_int_equal(output_close(o), 0);
	render(0, &t, NULL);
	assert_int_equal(t.len, sizeof buf);
	assert_memory_equal(t.buf, buf, sizeof buf);
	free(t.buf);
}

/* Writes numbered lines "line N\n" from FIRST up to LAST. */
static void
write_lines(struct output *o, int first, int last)
{
	char line[32];
	int i, n;

	for (i = first; i <= last; i++) {
		n = snprintf(line, sizeof line, "line %d\n", i);
		assert_int_equal(
		    output_write(
		        o, i % 3 ? OUTPUT_STDOUT : OUTPUT_STDERR, line, n),
		    0);
	}
}

/* Checks a wrapped log: head lines, the marker, tail lines in order. */
static void
check_wrapped(const struct text *t, const struct output_stats *st, int last)
{
	char want[64], *marker, *p, *nl;
	unsigned long long dropped;
	int i, n;

	assert_memory_equal(t->buf, "line 1\nline 2\n", 14);
	marker = strstr(t->buf, "[cronq: ");
	assert_non_null(marker);
	assert_int_equal(
	    sscanf(marker, "[cronq: %llu bytes dropped]", &dropped), 1);
	assert_int_equal(dropped, st->dropped);
	assert_true(st->kept + st->dropped == st->total);
	snprintf(want, sizeof want, "line %d\n", last);
	n = strlen(want);
	assert_memory_equal(t->buf + t->len - n, want, n);

	/* Head and tail are each contiguous runs of lines. */
	for (p = t->buf, i = 1; p < marker; p = nl + 1, i++) {
		nl = strchr(p, '\n');
		snprintf(want, sizeof want, "line %d", i);
		assert_memory_equal(p, want, strlen(want));
	}
	p = strchr(marker, '\n') + 1;
	p = strchr(p, '\n') + 1; /* the first tail line may be cut */
	assert_int_equal(sscanf(p, "line %d", &i), 1);
	for (; p < t->buf + t->len; p = strchr(p, '\n') + 1, i++) {
		snprintf(want, sizeof want, "line %d\n", i);
		assert_memory_equal(p, want, strlen(want));
	}
	assert_int_equal(i, last + 1);
}

static void
test_head_and_tail(void **state)
{
	struct output_stats st, live;
	struct output *o = open_log(64 * 1024);
	struct text t, t2;
	struct stat sb;

	(void)state;
	write_lines(o, 1, 100000);
	output_get_stats(o, &live);

	/* A growing log renders the same text as the finished one. */
	render(0, &t, &st);
	assert_int_equal(st.finished, 0);
	check_wrapped(&t, &st, 100000);
	assert_int_equal(st.total, live.total);
	assert_int_equal(st.kept, live.kept);

	assert_int_equal(output_close(o), 0);
	render(0, &t2, &st);
	assert_int_equal(st.finished, 1);
	check_wrapped(&t2, &st, 100000);
	assert_int_equal(t.len, t2.len);
	assert_memory_equal(t.buf, t2.buf, t.len);
	assert_int_equal(stat(test_path, &sb), 0);
	assert_true(sb.st_size <= 64 * 1024);
	assert_true(st.kept > 60000 / 2);
	free(t.buf);
	free(t2.buf);
}

static void
test_long_line(void **state)
{
	struct output_stats st;
	struct output *o = open_log(1 << 20);
	static char chunk[65536];
	struct text t;
	size_t i;

	(void)state;
	memset(chunk, 'x', sizeof chunk);
	for (i = 0; i < 160; i++) /* one 10 MiB line */
		output_write(o, OUTPUT_STDOUT, chunk, sizeof chunk);
	output_write(o, OUTPUT_STDOUT, "\nafter-long-line\n", 17);
	assert_int_equal(output_close(o), 0);
	render(OUTPUT_RENDER_PREFIX, &t, &st);
	assert_int_equal(st.total, 160 * 65536 + 17);
	assert_memory_equal(t.buf, "out: xxxx", 9);
	assert_non_null(strstr(t.buf, " bytes dropped]\n"));
	assert_string_equal(t.buf + t.len - 22, "\nout: after-long-line\n");
	assert_true(t.len < (1 << 20));
	free(t.buf);
}

static void
test_many_writes_small_memory(void **state)
{
	static char chunk[65536];
	struct output_stats st;
	struct rusage before, after;
	struct output *o;
	struct stat sb;
	size_t i;

	(void)state;
	memset(chunk, 'y', sizeof chunk);
	getrusage(RUSAGE_SELF, &before);
	o = open_log(1 << 20);
	for (i = 0; i < 4096; i++) /* 256 MiB */
		output_write(o, i % 2 ? OUTPUT_STDOUT : OUTPUT_STDERR, chunk,
		    sizeof chunk);
	output_get_stats(o, &st);
	assert_int_equal(output_close(o), 0);
	getrusage(RUSAGE_SELF, &after);
	assert_int_equal(st.total, 4096ULL * 65536);
	assert_true(st.kept <= 1 << 20);
	assert_int_equal(stat(test_path, &sb), 0);
	assert_true(sb.st_size <= 1 << 20);
	assert_true(after.ru_maxrss - before.ru_maxrss < 8 * 1024);
}

static void
test_errors(void **state)
{
	char *cause = NULL;
	struct output *o;
	FILE *f;

	(void)state;
	o = output_open("/nonexistent-dir/run.log", 1 << 20, &cause);
	assert_null(o);
	assert_string_equal(cause,
	    "cannot create log /nonexistent-dir/run.log: "
	    "No such file or directory");
	free(cause);

	f = fopen(test_path, "w");
	assert_non_null(f);
	fputs("plain text, not a log\n", f);
	fclose(f);
	cause = NULL;
	assert_int_equal(
	    output_render(test_path, 0, text_sink, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "not a cronq log"));
	free(cause);
	assert_int_equal(output_close(NULL), 0);

	/* The stale file goes at once; a log nobody writes is never made. */
	cause = NULL;
	o = output_open(test_path, 1 << 20, &cause);
	assert_non_null(o);
	assert_int_equal(access(test_path, F_OK), -1);
	assert_int_equal(output_write(o, OUTPUT_STDOUT, "", 0), 0);
	assert_int_equal(output_close(o), 0);
	assert_int_equal(access(test_path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_head_and_tail),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_many_writes_small_memory),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
