/* SPDX-License-Identifier: ISC */
/*
 * A few users' passwd entries and group lists. Entries are dropped all at
 * once when /etc/passwd or /etc/group is replaced or written (inode, size
 * or modification time differ from when they were read), and each lives
 * at most IDCACHE_TTL seconds, so a change made through NSS modules other
 * than files is seen as soon as that.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idcache.h"
#include "xmalloc.h"

#define IDCACHE_SLOTS 16

struct id_slot {
	struct id_user u; /* u.name NULL: free */
	time_t born;      /* CLOCK_MONOTONIC seconds */
	unsigned long used;
};

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

static struct id_slot slots[IDCACHE_SLOTS];
static struct file_id seen[2];
static unsigned long tick;

static const char *const db_files[2] = { "/etc/passwd", "/etc/group" };

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
slot_clear(struct id_slot *sl)
{
	free(sl->u.name);
	free(sl->u.dir);
	free(sl->u.shell);
	free(sl->u.groups);
	memset(sl, 0, sizeof *sl);
}

void
idcache_flush(void)
{
	size_t i;

	for (i = 0; i < IDCACHE_SLOTS; i++)
		slot_clear(&slots[i]);
}

/* Flushes everything if either database file changed since last time. */
static void
check_files(void)
{
	struct file_id now;
	struct stat st;
	size_t i;
	int changed = 0;

	for (i = 0; i < 2; i++) {
		memset(&now, 0, sizeof now);
		if (stat(db_files[i], &st) == 0) {
			now.dev = st.st_dev;
			now.ino = st.st_ino;
			now.size = st.st_size;
			now.mtime = st.st_mtim;
		}
		if (memcmp(&now, &seen[i], sizeof now) != 0) {
			seen[i] = now;
			changed = 1;
		}
	}
	if (changed)
		idcache_flush();
}

/* A fresh slot for PW, evicting the least recently used. */
static const struct id_user *
slot_fill(const struct passwd *pw, time_t now)
{
	struct id_slot *sl = &slots[0];
	int n = 16, want;
	size_t i;

	for (i = 0; i < IDCACHE_SLOTS; i++) {
		if (slots[i].u.name == NULL) {
			sl = &slots[i];
			break;
		}
		if (slots[i].used < sl->used)
			sl = &slots[i];
	}
	slot_clear(sl);
	sl->u.uid = pw->pw_uid;
	sl->u.gid = pw->pw_gid;
	sl->u.name = xstrdup(pw->pw_name);
	sl->u.dir = xstrdup(pw->pw_dir != NULL ? pw->pw_dir : "/");
	sl->u.shell = pw->pw_shell != NULL ? xstrdup(pw->pw_shell) : NULL;
	for (;;) {
		sl->u.groups = xreallocarray(sl->u.groups, n, sizeof(gid_t));
		want = n;
		if (getgrouplist(sl->u.name, sl->u.gid, sl->u.groups, &want) !=
		    -1)
			break;
		if (want <= n || want > 65536) {
			/* The run reports it: no groups is not a guess. */
			want = -1;
			break;
		}
		n = want;
	}
	sl->u.ngroups = want;
	sl->born = now;
	sl->used = ++tick;
	return &sl->u;
}

static const struct id_user *
lookup(uid_t uid, const char *name)
{
	const struct passwd *pw;
	time_t now = mono_now();
	size_t i;

	check_files();
	for (i = 0; i < IDCACHE_SLOTS; i++) {
		if (slots[i].u.name == NULL)
			continue;
		if (now - slots[i].born >= IDCACHE_TTL) {
			slot_clear(&slots[i]);
			continue;
		}
		if (name != NULL ? strcmp(slots[i].u.name, name) == 0
		                 : slots[i].u.uid == uid) {
			slots[i].used = ++tick;
			return &slots[i].u;
		}
	}
	errno = 0;
	pw = name != NULL ? getpwnam(name) : getpwuid(uid);
	if (pw == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return NULL;
	}
	return slot_fill(pw, now);
}

const struct id_user *
idcache_by_uid(uid_t uid)
{
	return lookup(uid, NULL);
}

const struct id_user *
idcache_by_name(const char *name)
{
	return lookup(0, name);
}
