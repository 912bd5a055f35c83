/* SPDX-License-Identifier: ISC */
/*
 * Per-run output logs with a size cap. The writer keeps the first half of
 * the cap as the head and the newest output in a ring of blocks after it,
 * so memory stays at one block and the file never exceeds the cap however
 * much a job prints. The reader turns a finished or still-growing log into
 * plain text.
 *
 * On-disk format (all integers little-endian), blocks of OUTPUT_BLOCK bytes:
 *
 *   block 0, the file header:
 *     magic "CQLOG1\n\0" (8), cap (u64), data blocks (u32), head blocks
 *     (u32), next sequence number (u64), total payload bytes seen (u64),
 *     flags (u32: 1 = finished), zero padding.
 *   blocks 1..n, data blocks:
 *     sequence number (u64), bytes of records used (u32), zero (u32), then
 *     records: stream (u8: 1 stdout, 2 stderr), length (u16), the bytes.
 *
 * Data block with sequence S lives in slot S while S < head blocks, and in
 * slot head + (S - head) % (n - head) after that: the head is kept, the
 * ring holds the tail. Records never cross blocks; payload is raw bytes
 * (binary and lines of any length are fine). output_close() rotates the
 * ring so that a finished file holds its blocks in sequence order.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#define OUTPUT_BLOCK 4096
#define OUTPUT_CAP_MIN (8 * OUTPUT_BLOCK)

enum output_stream { OUTPUT_STDOUT = 1, OUTPUT_STDERR = 2 };

/* Payload counters: everything the job printed, what the file keeps. */
struct output_stats {
	uint64_t total;
	uint64_t kept;
	uint64_t dropped;
	int finished;
};

struct output;

/*
 * Starts the log at PATH, mode 0640, with a cap of CAP bytes for the whole
 * file; CAP is rounded down to whole blocks and raised to OUTPUT_CAP_MIN.
 * A file already at PATH is removed; the new one is created on the first
 * byte written, so a run that prints nothing leaves no file (read as an
 * empty log). Returns NULL with *cause set (caller frees).
 */
struct output *output_open(const char *path, uint64_t cap, char **cause);

/*
 * Appends LEN bytes from STREAM. The file is brought up to date before
 * returning so a reader sees the bytes. Returns 0, or -1 with errno (the
 * counters still advance, so the caller may keep draining).
 */
int output_write(
    struct output *o, enum output_stream stream, const void *buf, size_t len);

void output_get_stats(const struct output *o, struct output_stats *st);

/*
 * Marks the log finished, rotates the tail into order and frees O
 * (accepts NULL). Returns 0, or -1 with errno if the file could not be
 * completed; O is freed either way.
 */
int output_close(struct output *o);

/* Render flags. */
#define OUTPUT_RENDER_PREFIX 0x1 /* each line starts "out: " or "err: " */

/* Receives rendered text; returns 0, or -1 to stop rendering. */
typedef int (*output_sink)(void *arg, const void *buf, size_t len);

/*
 * Renders the log at PATH (finished or still being written) as plain text
 * in arrival order: the head, a line "[cronq: N bytes dropped]" when the
 * middle was dropped, then the tail. With OUTPUT_RENDER_PREFIX each line
 * carries its stream and a stream change inside a line starts a new line.
 * Fills ST if not NULL. Returns 0, or -1 with *cause set (caller frees).
 */
int output_render(const char *path, int flags, output_sink sink, void *arg,
    struct output_stats *st, char **cause);

/* output_render() into file descriptor FD (written fully, EINTR safe). */
int output_render_fd(
    const char *path, int fd, int flags, struct output_stats *st, char **cause);

#endif
