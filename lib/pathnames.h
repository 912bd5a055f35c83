/* SPDX-License-Identifier: ISC */
/*
 * The system daemon's fixed paths. They do not follow the configure
 * prefix: the systemd unit (StateDirectory=, RuntimeDirectory=), the man
 * pages and the CLI's default socket all name these, so a build installed
 * under /usr/local must still use them.
 */
#ifndef CQ_PATHNAMES_H
#define CQ_PATHNAMES_H

#define CQ_PATH_STATE_DIR "/var/lib/cronq"
#define CQ_PATH_RUN_DIR "/run/cronq"
#define CQ_PATH_SOCKET CQ_PATH_RUN_DIR "/cronq.sock"
#define CQ_PATH_CONFIG "/etc/cronq/agentd.yaml"
#define CQ_PATH_JOBS_DIR "/etc/cronq.d"

#endif
