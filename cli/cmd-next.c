#include "config.h"
#include "cli.h"
static int x(const struct cli_opts *o, int c, char **v) { (void)o; (void)c; (void)v; return 0; }
const struct cli_cmd cmd_next = { "next", "next EXPR", "scratch", x };
