# cronq-agentd: filled in by the daemon work (issue 3).
