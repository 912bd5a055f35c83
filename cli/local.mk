bin_PROGRAMS += cronq
cronq_SOURCES = \
	cli/cli.h \
	cli/cronq.c \
	cli/msg.c \
	cli/print.c \
	cli/cmd-jobs.c \
	cli/cmd-files.c \
	cli/cmd-edit.c \
	cli/cmd-import.c \
	cli/cmd-next.c \
	cli/cmd-runs.c \
	cli/cmd-status.c
cronq_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS)
cronq_LDADD = lib/libcronq.a $(CURL_LIBS) $(CJSON_LIBS) $(YAML_LIBS) $(BSD_LIBS)
