# cronq-agentd: filled in by the daemon work (issue 3).

# The API server (gateway, handlers, metrics). These belong in
# cronq_agentd_SOURCES, not in a library: main() reaches gateway_start
# weakly. The OpenAPI document is compiled in from docs/openapi.json.
GATEWAY_SRC = \
	agentd/gateway.c agentd/gateway.h \
	agentd/gateway-events.c \
	agentd/handlers.c \
	agentd/handlers-jobs.c \
	agentd/handlers-runs.c \
	agentd/handlers-legacy.c \
	agentd/metrics.c
GATEWAY_GEN = agentd/openapi-doc.c
GATEWAY_INC = $(CJSON_CFLAGS) $(MHD_CFLAGS)
GATEWAY_LINK = $(MHD_LIBS) $(CJSON_LIBS)
CLEANFILES += $(GATEWAY_GEN)

agentd/openapi-doc.c: $(top_srcdir)/docs/openapi.json
	$(AM_V_GEN)$(MKDIR_P) agentd && { \
	    echo '/* Generated from docs/openapi.json; do not edit. */'; \
	    echo 'const char api_openapi_json[] ='; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
	        $(top_srcdir)/docs/openapi.json; \
	    echo ';'; } > $@.tmp && mv $@.tmp $@
