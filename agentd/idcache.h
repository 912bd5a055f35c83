/* SPDX-License-Identifier: ISC */
/*
 * The password and group database entries runs start with, kept between
 * runs: each start asked getpwuid and getgrouplist, which read and parse
 * /etc/passwd and /etc/group every time.
 */
#ifndef IDCACHE_H
#define IDCACHE_H

#include <sys/types.h>

struct id_user {
	uid_t uid;
	gid_t gid;
	char *name;
	char *dir;
	char *shell;
	gid_t *groups; /* as getgrouplist(name, gid) gives them */
	int ngroups;
};

/*
 * The entry of UID or of user NAME, or NULL with errno ENOENT if there is
 * none. An entry is looked up again once /etc/passwd or /etc/group change
 * and at least every IDCACHE_TTL seconds (for databases that are not
 * files). The pointer is valid until the next idcache call.
 */
#define IDCACHE_TTL 10
const struct id_user *idcache_by_uid(uid_t uid);
const struct id_user *idcache_by_name(const char *name);
/* Drops every entry (tests; SIGHUP). */
void idcache_flush(void);

#endif
