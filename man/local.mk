dist_man_MANS += man/cronq.1 man/cronq-agentd.8 man/cronq.d.5

# cronq.d(5) points at these: install them with the documentation.
exampledir = $(docdir)/examples/cronq.d
dist_example_DATA = examples/cronq.d/member-sync.yaml \
	examples/cronq.d/notifications.yaml examples/cronq.d/reports.yaml \
	examples/cronq.d/schedule-generation.yaml
