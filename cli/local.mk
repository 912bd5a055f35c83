bin_PROGRAMS += cronq
cronq_SOURCES = \
	cli/cli.h \
	cli/cronq.c \
	cli/msg.c \
	cli/cmd-next.c
cronq_CFLAGS = $(AM_CFLAGS)
cronq_LDADD = lib/libcronq.a $(BSD_LIBS)
