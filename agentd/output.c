/* SPDX-License-Identifier: ISC */
/*
 * Capped per-run output logs: the writer used by child.c and the renderer
 * behind GET /runs/ID/log. The format is described in output.h. This file
 * keeps at most two blocks in memory whatever a job prints, and never
 * writes past the cap: old tail blocks are overwritten in place.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "xmalloc.h"

#define OUTPUT_MAGIC "CQLOG1\n"
#define OUTPUT_HDR_LEN 48 /* used part of the file header block */
#define OUTPUT_BLK_HDR 16 /* sequence, used, payload */
#define OUTPUT_REC_HDR 3  /* stream, length */
#define OUTPUT_AREA (OUTPUT_BLOCK - OUTPUT_BLK_HDR)
#define OUTPUT_F_FINISHED 0x1
#define OUTPUT_F_LINEAR 0x2 /* tail rotated into sequence order */

struct output {
	int fd;           /* -1 until the first byte of output */
	int create_errno; /* why the file could not be created, or 0 */
	char *path;
	uint32_t nblocks; /* data blocks in the file */
	uint32_t head;    /* of which the first HEAD are kept for good */
	uint64_t cap;
	uint64_t seq;     /* sequence number of blk */
	uint32_t used;    /* record bytes in blk */
	uint32_t payload; /* payload bytes in blk */
	uint64_t total;   /* payload bytes ever written */
	uint64_t dropped; /* payload bytes overwritten in the ring */
	uint64_t wrapped; /* highest sequence whose old slot was accounted */
	unsigned char blk[OUTPUT_BLOCK];
};

/* The header as read back by the renderer. */
struct output_hdr {
	uint64_t cap;
	uint32_t nblocks;
	uint32_t head;
	uint64_t nseq; /* blocks holding data: sequences 0 .. nseq-1 */
	uint64_t total;
	uint32_t flags;
};

static void
output_put16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
output_put32(unsigned char *p, uint32_t v)
{
	output_put16(p, v & 0xffff);
	output_put16(p + 2, v >> 16);
}

static void
output_put64(unsigned char *p, uint64_t v)
{
	output_put32(p, v & 0xffffffff);
	output_put32(p + 4, v >> 32);
}

static uint16_t
output_get16(const unsigned char *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t
output_get32(const unsigned char *p)
{
	return output_get16(p) | (uint32_t)output_get16(p + 2) << 16;
}

static uint64_t
output_get64(const unsigned char *p)
{
	return output_get32(p) | (uint64_t)output_get32(p + 4) << 32;
}

/* Writes all of BUF at OFF. Returns 0 or -1 with errno. */
static int
output_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Reads up to LEN bytes at OFF; returns the count (short at EOF) or -1. */
static ssize_t
output_pread(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, p + got, len - got, off + got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* The slot (1-based block index in the file) of sequence SEQ. */
static uint64_t
output_slot(
    uint32_t nblocks, uint32_t head, uint64_t seq, uint64_t first, int linear)
{
	if (seq < head)
		return 1 + seq;
	if (linear)
		return 1 + head + (seq - first);
	return 1 + head + (seq - head) % (nblocks - head);
}

static int
output_write_header(struct output *o, uint32_t flags)
{
	unsigned char h[OUTPUT_HDR_LEN];
	uint64_t nseq = o->seq + (o->used > 0);

	memset(h, 0, sizeof h);
	memcpy(h, OUTPUT_MAGIC, sizeof OUTPUT_MAGIC);
	output_put64(h + 8, o->cap);
	output_put32(h + 16, o->nblocks);
	output_put32(h + 20, o->head);
	output_put64(h + 24, nseq);
	output_put64(h + 32, o->total);
	output_put32(h + 40, flags);
	return output_pwrite(o->fd, h, sizeof h, 0);
}

/*
 * Before the first write of sequence SEQ into a ring slot, counts the
 * payload of the older block it replaces as dropped.
 */
static int
output_account_overwrite(struct output *o)
{
	unsigned char h[OUTPUT_BLK_HDR];
	uint64_t slot;
	ssize_t n;

	if (o->seq < o->nblocks || o->seq <= o->wrapped)
		return 0;
	o->wrapped = o->seq;
	slot = output_slot(o->nblocks, o->head, o->seq, 0, 0);
	n = output_pread(o->fd, h, sizeof h, slot * OUTPUT_BLOCK);
	if (n == -1)
		return -1;
	if (n == sizeof h && output_get64(h) + (o->nblocks - o->head) == o->seq)
		o->dropped += output_get32(h + 12);
	return 0;
}

static int
output_flush_block(struct output *o)
{
	uint64_t slot;

	if (output_account_overwrite(o) == -1)
		return -1;
	output_put64(o->blk, o->seq);
	output_put32(o->blk + 8, o->used);
	output_put32(o->blk + 12, o->payload);
	slot = output_slot(o->nblocks, o->head, o->seq, 0, 0);
	/* Whole blocks, so that a finished ring can be rotated blockwise. */
	return output_pwrite(o->fd, o->blk, OUTPUT_BLOCK, slot * OUTPUT_BLOCK);
}

/*
 * Creates the file of O: on the first output, not at output_open, since
 * most runs print nothing and the API reads a missing log as empty.
 */
static int
output_create(struct output *o)
{
	unsigned char zero[OUTPUT_BLOCK];
	int fd;

	if (o->create_errno != 0) {
		errno = o->create_errno;
		return -1;
	}
	fd = open(
	    o->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd == -1) {
		o->create_errno = errno;
		return -1;
	}
	memset(zero, 0, sizeof zero);
	o->fd = fd;
	if (output_pwrite(fd, zero, sizeof zero, 0) == -1 ||
	    output_write_header(o, 0) == -1) {
		o->create_errno = errno;
		close(fd);
		o->fd = -1;
		unlink(o->path);
		errno = o->create_errno;
		return -1;
	}
	return 0;
}

/* -1 with errno if the directory of PATH takes no new files. */
static int
output_dir_check(const char *path)
{
	char *dir, *slash;
	int rc;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	rc = access(slash != NULL ? dir : ".", W_OK | X_OK);
	free(dir);
	return rc;
}

struct output *
output_open(const char *path, uint64_t cap, char **cause)
{
	struct output *o;
	uint64_t blocks;

	if (cap < OUTPUT_CAP_MIN)
		cap = OUTPUT_CAP_MIN;
	blocks = cap / OUTPUT_BLOCK;
	if (blocks > UINT32_MAX)
		blocks = UINT32_MAX;
	/*
	 * A file left at PATH must not pass for this run's output. A log
	 * directory that is missing or takes no files is reported here,
	 * before the run starts, as creating the file here did.
	 */
	if (unlink(path) == -1 &&
	    (errno != ENOENT || output_dir_check(path) == -1)) {
		xasprintf(
		    cause, "cannot create log %s: %s", path, strerror(errno));
		return NULL;
	}

	o = xcalloc(1, sizeof *o);
	o->fd = -1;
	o->path = xstrdup(path);
	o->cap = blocks * OUTPUT_BLOCK;
	o->nblocks = blocks - 1;
	o->head = o->nblocks / 2;
	return o;
}

int
output_write(
    struct output *o, enum output_stream stream, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n, room;
	int rc = 0;

	if (len == 0)
		return 0;
	o->total += len;
	if (o->fd == -1 && output_create(o) == -1)
		return -1;
	while (len > 0) {
		room = OUTPUT_AREA - o->used;
		if (room <= OUTPUT_REC_HDR) {
			if (output_flush_block(o) == -1)
				rc = -1;
			o->seq++;
			o->used = o->payload = 0;
			memset(o->blk, 0, sizeof o->blk);
			continue;
		}
		n = room - OUTPUT_REC_HDR;
		if (n > len)
			n = len;
		o->blk[OUTPUT_BLK_HDR + o->used] = stream;
		output_put16(o->blk + OUTPUT_BLK_HDR + o->used + 1, n);
		memcpy(
		    o->blk + OUTPUT_BLK_HDR + o->used + OUTPUT_REC_HDR, p, n);
		o->used += OUTPUT_REC_HDR + n;
		o->payload += n;
		p += n;
		len -= n;
	}

	/* Readers of a growing log see the partial block too. */
	if (o->used > 0 && output_flush_block(o) == -1)
		rc = -1;
	if (output_write_header(o, 0) == -1)
		rc = -1;
	return rc;
}

void
output_get_stats(const struct output *o, struct output_stats *st)
{
	st->total = o->total;
	st->dropped = o->dropped;
	st->kept = o->total - o->dropped;
	st->finished = 0;
}

/*
 * Rotates the ring so that its oldest block comes first, with one spare
 * block of memory: each cycle of the rotation is walked once.
 */
static int
output_rotate(struct output *o)
{
	uint64_t nseq = o->seq + (o->used > 0);
	uint32_t n = o->nblocks - o->head, k, i, j, next, cycles, a, b;
	unsigned char *tmp;
	off_t base = (off_t)(1 + o->head) * OUTPUT_BLOCK;
	int rc = -1;

	if (nseq <= o->nblocks)
		return 0; /* the ring never wrapped: already in order */
	k = (nseq - o->head) % n;
	if (k == 0)
		return 0;
	for (a = n, b = k; b != 0;) {
		cycles = a % b;
		a = b;
		b = cycles;
	}
	cycles = a;

	tmp = xmalloc(OUTPUT_BLOCK);
	for (i = 0; i < cycles; i++) {
		if (output_pread(o->fd, tmp, OUTPUT_BLOCK,
		        base + (off_t)i * OUTPUT_BLOCK) != OUTPUT_BLOCK)
			goto out;
		for (j = i;; j = next) {
			next = (j + k) % n;
			if (next == i)
				break;
			if (output_pread(o->fd, o->blk, OUTPUT_BLOCK,
			        base + (off_t)next * OUTPUT_BLOCK) !=
			        OUTPUT_BLOCK ||
			    output_pwrite(o->fd, o->blk, OUTPUT_BLOCK,
			        base + (off_t)j * OUTPUT_BLOCK) == -1)
				goto out;
		}
		if (output_pwrite(o->fd, tmp, OUTPUT_BLOCK,
		        base + (off_t)j * OUTPUT_BLOCK) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1 && errno == 0)
		errno = EIO;
	free(tmp);
	return rc;
}

int
output_close(struct output *o)
{
	uint32_t flags = OUTPUT_F_FINISHED;
	int rc = 0, saved = 0;

	if (o == NULL)
		return 0;
	if (o->fd == -1) {
		/* Nothing was printed (or the file could not be created, which
		 * output_write reported): no file is the empty log. */
		free(o->path);
		free(o);
		return 0;
	}

	/* The header calls the tail linear only once the rotation is done. */
	if (o->used > 0 && output_flush_block(o) == -1) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && output_rotate(o) == 0)
		flags |= OUTPUT_F_LINEAR;
	else if (rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (output_write_header(o, flags) == -1 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (close(o->fd) == -1 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	free(o->path);
	free(o);
	if (rc == -1)
		errno = saved;
	return rc;
}

/* Rendering state: a small output buffer and where the text stands. */
struct output_render {
	output_sink sink;
	void *arg;
	int flags;
	int failed;
	int line_start;
	int stream;
	size_t len;
	char buf[8192];
	uint64_t kept;
};

static void
output_emit_flush(struct output_render *r)
{
	if (r->len > 0 && !r->failed && r->sink(r->arg, r->buf, r->len) != 0)
		r->failed = 1;
	r->len = 0;
}

static void
output_emit(struct output_render *r, const void *p, size_t len)
{
	const char *s = p;
	size_t n;

	while (len > 0) {
		if (r->len == sizeof r->buf)
			output_emit_flush(r);
		n = sizeof r->buf - r->len;
		if (n > len)
			n = len;
		memcpy(r->buf + r->len, s, n);
		r->len += n;
		s += n;
		len -= n;
	}
}

static void
output_emit_record(
    struct output_render *r, int stream, const char *p, size_t len)
{
	const char *nl;
	size_t n;

	r->kept += len;
	if (!(r->flags & OUTPUT_RENDER_PREFIX)) {
		output_emit(r, p, len);
		if (len > 0)
			r->line_start = p[len - 1] == '\n';
		return;
	}
	if (!r->line_start && stream != r->stream) {
		output_emit(r, "\n", 1);
		r->line_start = 1;
	}
	r->stream = stream;
	while (len > 0) {
		if (r->line_start)
			output_emit(
			    r, stream == OUTPUT_STDERR ? "err: " : "out: ", 5);
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) + 1 : len;
		output_emit(r, p, n);
		r->line_start = nl != NULL;
		p += n;
		len -= n;
	}
}

/* Emits the records of one block read from the file, if it is SEQ. */
static void
output_emit_block(struct output_render *r, const unsigned char *blk,
    ssize_t got, uint64_t seq)
{
	uint32_t used, off = 0, n;

	/* A block being rewritten by a live writer may not match: skip it. */
	if (got != OUTPUT_BLOCK || output_get64(blk) != seq)
		return;
	used = output_get32(blk + 8);
	if (used > OUTPUT_AREA)
		return;
	blk += OUTPUT_BLK_HDR;
	while (off + OUTPUT_REC_HDR <= used) {
		n = output_get16(blk + off + 1);
		if (off + OUTPUT_REC_HDR + n > used)
			break;
		output_emit_record(
		    r, blk[off], (const char *)blk + off + OUTPUT_REC_HDR, n);
		off += OUTPUT_REC_HDR + n;
	}
}

static int
output_read_header(int fd, struct output_hdr *h)
{
	unsigned char b[OUTPUT_HDR_LEN];

	if (output_pread(fd, b, sizeof b, 0) != sizeof b ||
	    memcmp(b, OUTPUT_MAGIC, sizeof OUTPUT_MAGIC) != 0)
		return -1;
	h->cap = output_get64(b + 8);
	h->nblocks = output_get32(b + 16);
	h->head = output_get32(b + 20);
	h->nseq = output_get64(b + 24);
	h->total = output_get64(b + 32);
	h->flags = output_get32(b + 40);
	if (h->nblocks < 2 || h->head == 0 || h->head >= h->nblocks)
		return -1;
	return 0;
}

static void
output_render_blocks(int fd, const struct output_hdr *h,
    struct output_render *r, unsigned char *blk)
{
	uint64_t seq, first, end, tail, dropped;
	char marker[80];
	int linear = (h->flags & OUTPUT_F_LINEAR) != 0;
	ssize_t got;

	end = h->nseq < h->head ? h->nseq : h->head;
	for (seq = 0; seq < end && !r->failed; seq++) {
		got = output_pread(fd, blk, OUTPUT_BLOCK,
		    output_slot(h->nblocks, h->head, seq, 0, 0) * OUTPUT_BLOCK);
		output_emit_block(r, blk, got, seq);
	}
	if (h->nseq <= h->head)
		return;

	first = h->head;
	if (h->nseq - h->head > h->nblocks - h->head)
		first = h->nseq - (h->nblocks - h->head);
	if (first > h->head) {
		/* The marker needs the tail's size before the tail is sent. */
		tail = 0;
		for (seq = first; seq < h->nseq; seq++) {
			got = output_pread(fd, blk, OUTPUT_BLK_HDR,
			    output_slot(
			        h->nblocks, h->head, seq, first, linear) *
			        OUTPUT_BLOCK);
			if (got == OUTPUT_BLK_HDR && output_get64(blk) == seq)
				tail += output_get32(blk + 12);
		}
		dropped =
		    h->total > r->kept + tail ? h->total - r->kept - tail : 0;
		if (!r->line_start)
			output_emit(r, "\n", 1);
		snprintf(marker, sizeof marker,
		    "[cronq: %" PRIu64 " bytes dropped]\n", dropped);
		output_emit(r, marker, strlen(marker));
		r->line_start = 1;
	}
	for (seq = first; seq < h->nseq && !r->failed; seq++) {
		got = output_pread(fd, blk, OUTPUT_BLOCK,
		    output_slot(h->nblocks, h->head, seq, first, linear) *
		        OUTPUT_BLOCK);
		output_emit_block(r, blk, got, seq);
	}
}

int
output_render(const char *path, int flags, output_sink sink, void *arg,
    struct output_stats *st, char **cause)
{
	struct output_render *r;
	struct output_hdr h;
	unsigned char *blk;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		xasprintf(
		    cause, "cannot open log %s: %s", path, strerror(errno));
		return -1;
	}
	r = xcalloc(1, sizeof *r);
	blk = xmalloc(OUTPUT_BLOCK);
	if (output_read_header(fd, &h) == -1) {
		xasprintf(cause, "cannot read log %s: not a cronq log", path);
		goto out;
	}

	r->sink = sink;
	r->arg = arg;
	r->flags = flags;
	r->line_start = 1;
	output_render_blocks(fd, &h, r, blk);
	if (!r->line_start && (flags & OUTPUT_RENDER_PREFIX))
		output_emit(r, "\n", 1);
	output_emit_flush(r);
	if (r->failed) {
		xasprintf(cause, "cannot render log %s: output refused", path);
		goto out;
	}
	if (st != NULL) {
		st->total = h.total > r->kept ? h.total : r->kept;
		st->kept = r->kept;
		st->dropped = st->total - st->kept;
		st->finished = (h.flags & OUTPUT_F_FINISHED) != 0;
	}
	rc = 0;
out:
	free(blk);
	free(r);
	close(fd);
	return rc;
}

static int
output_sink_fd(void *arg, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = *(int *)arg;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int
output_render_fd(
    const char *path, int fd, int flags, struct output_stats *st, char **cause)
{
	return output_render(path, flags, output_sink_fd, &fd, st, cause);
}
