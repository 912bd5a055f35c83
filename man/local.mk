dist_man_MANS += man/cronq.1 man/cronq-agentd.8
# cronq.d(5) sections for http jobs, groups and notifications, to merge.
EXTRA_DIST += man/cronq.d.5.http
