bin_PROGRAMS += cronq
cronq_SOURCES = \
	cli/cli.h \
	cli/cronq.c \
	cli/msg.c \
	cli/print.c \
	cli/add-sandbox.h \
	cli/add-sandbox.c \
	cli/cmd-jobs.c cli/cmd-show.c \
	cli/show-ext.c \
	cli/cmd-files.c \
	cli/cmd-edit.c \
	cli/cmd-import.c \
	cli/cmd-next.c \
	cli/cmd-runs.c \
	cli/cmd-why.c \
	cli/cmd-notify.c \
	cli/cmd-groups.c \
	cli/cmd-status.c \
	cli/cmd-token.c
cronq_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS)
cronq_LDADD = cli/top/libtop.a lib/libcronq.a $(CURL_LIBS) $(CJSON_LIBS) \
	$(YAML_LIBS) $(NCURSES_LIBS) $(BSD_LIBS)

# cronq top: the only part of the client built against curses.
noinst_LIBRARIES += cli/top/libtop.a
cli_top_libtop_a_SOURCES = \
	cli/top/top.h \
	cli/top/top.c \
	cli/top/top-model.c \
	cli/top/top-text.c \
	cli/top/top-draw.c \
	cli/top/top-keys.c
cli_top_libtop_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cli
cli_top_libtop_a_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) \
	$(NCURSES_CFLAGS)
