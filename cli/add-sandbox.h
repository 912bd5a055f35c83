/* SPDX-License-Identifier: ISC */
/*
 * The isolation flags of `cronq add` (--nice, --rlimit, --private-tmp,
 * --memory-max, --seccomp-deny, ...) and how `cronq show` prints the
 * `limits` and `sandbox` maps they fill. Each flag sets one field of
 * cronq.d(5)'s LIMITS or SANDBOX under the same name.
 */
#ifndef ADD_SANDBOX_H
#define ADD_SANDBOX_H

#include <getopt.h>

#include <cjson/cJSON.h>

/* getopt values of the flags: past every character option. */
enum add_sandbox_opt {
	ADD_SB_NICE = 0x200,
	ADD_SB_IOPRIO,
	ADD_SB_RLIMIT,
	ADD_SB_PRIVATE_TMP,
	ADD_SB_PROTECT_SYSTEM,
	ADD_SB_NO_NETWORK,
	ADD_SB_RO_PATH,
	ADD_SB_RW_PATH,
	ADD_SB_MEMORY_MAX,
	ADD_SB_PIDS_MAX,
	ADD_SB_CPU_MAX,
	ADD_SB_SECCOMP_DEFAULT,
	ADD_SB_SECCOMP_ACTION,
	ADD_SB_SECCOMP_DENY,
	ADD_SB_SECCOMP_ALLOW,
	ADD_SB_END
};

/* The struct option entries, for the add command's longopts table. */
#define ADD_SANDBOX_LONGOPTS                                                   \
	{ "nice", required_argument, NULL, ADD_SB_NICE },                      \
	    { "ioprio", required_argument, NULL, ADD_SB_IOPRIO },              \
	    { "rlimit", required_argument, NULL, ADD_SB_RLIMIT },              \
	    { "private-tmp", no_argument, NULL, ADD_SB_PRIVATE_TMP },          \
	    { "protect-system", no_argument, NULL, ADD_SB_PROTECT_SYSTEM },    \
	    { "no-network", no_argument, NULL, ADD_SB_NO_NETWORK },            \
	    { "read-only-path", required_argument, NULL, ADD_SB_RO_PATH },     \
	    { "read-write-path", required_argument, NULL, ADD_SB_RW_PATH },    \
	    { "memory-max", required_argument, NULL, ADD_SB_MEMORY_MAX },      \
	    { "pids-max", required_argument, NULL, ADD_SB_PIDS_MAX },          \
	    { "cpu-max", required_argument, NULL, ADD_SB_CPU_MAX },            \
	    { "seccomp-default", required_argument, NULL,                      \
		    ADD_SB_SECCOMP_DEFAULT },                                  \
	    { "seccomp-action", required_argument, NULL,                       \
		    ADD_SB_SECCOMP_ACTION },                                   \
	    { "seccomp-deny", required_argument, NULL, ADD_SB_SECCOMP_DENY },  \
	{                                                                      \
		"seccomp-allow", required_argument, NULL, ADD_SB_SECCOMP_ALLOW \
	}

/*
 * Puts the value ARG of flag CH (one of add_sandbox_opt, or 'r' for
 * --retries; ARG NULL for the switches) into BODY's `limits` or `sandbox`
 * map (--retries: BODY itself), after checking it
 * with the job model. Returns -1 when it did, else the usage exit status
 * after a message naming the flag, such as
 * "--nice \"40\": 40 is outside -20-19".
 */
int add_sandbox_option(int ch, const char *arg, cJSON *body);

/*
 * `cronq show` of V when it is the job's `limits` or `sandbox` map: one
 * line per field set away from its default ("sandbox.nice: 7",
 * "sandbox.seccomp.deny: unshare, ptrace", "limits.cpu: 5min",
 * "sandbox.memory_max: 64M"), "limits: -" when none is, each handed to
 * EMIT with ARG (show aligns them). Returns 1 if it took V, 0 if V is
 * another field.
 */
int add_sandbox_show(const cJSON *v,
    void (*emit)(void *arg, const char *key, const char *value), void *arg);

#endif
