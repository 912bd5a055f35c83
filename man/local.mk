dist_man_MANS += man/cronq.1 man/cronq-agentd.8 man/cronq.d.5
