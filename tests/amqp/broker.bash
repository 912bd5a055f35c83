# A private RabbitMQ broker for the amqp tests: its own node name, ports on
# loopback, data and logs under $BROKER_DIR, its own Erlang cookie and epmd,
# so nothing of a system rabbitmq-server is used or disturbed.

RABBIT_BIN=/usr/lib/rabbitmq/bin

# free_port: a TCP port nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# broker_env: exports the node's settings (after broker_init).
broker_env() {
	export HOME="$BROKER_DIR"
	export RABBITMQ_NODENAME="$BROKER_NODE"
	export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
	export RABBITMQ_NODE_PORT="$BROKER_PORT"
	export RABBITMQ_DIST_PORT="$BROKER_DIST_PORT"
	export ERL_EPMD_PORT="$BROKER_EPMD_PORT"
	export RABBITMQ_MNESIA_BASE="$BROKER_DIR/mnesia"
	export RABBITMQ_LOG_BASE="$BROKER_DIR/log"
	export RABBITMQ_PID_FILE="$BROKER_DIR/rabbit.pid"
	export RABBITMQ_ENABLED_PLUGINS_FILE="$BROKER_DIR/plugins"
	export RABBITMQ_CONFIG_FILE="$BROKER_DIR/rabbitmq"
}

# broker_init DIR: picks ports and writes the cookie; skips without rabbit.
broker_init() {
	[ -x "$RABBIT_BIN/rabbitmq-server" ] ||
	    skip "rabbitmq-server is not installed (scripts/install-deps)"
	BROKER_DIR=$1
	mkdir -p "$BROKER_DIR"
	BROKER_NODE="cronqtest$$@localhost"
	BROKER_PORT=$(free_port)
	BROKER_DIST_PORT=$(free_port)
	BROKER_EPMD_PORT=$(free_port)
	echo '[].' >"$BROKER_DIR/plugins"
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' \
	    >"$BROKER_DIR/.erlang.cookie"
	chmod 400 "$BROKER_DIR/.erlang.cookie"
	BROKER_URL="amqp://guest:guest@127.0.0.1:$BROKER_PORT"
	export BROKER_DIR BROKER_NODE BROKER_PORT BROKER_DIST_PORT \
	    BROKER_EPMD_PORT BROKER_URL
}

# broker_start: starts the node (and our own epmd) and waits until it runs.
broker_start() {
	(
		broker_env
		if [ ! -f "$BROKER_DIR/epmd.pid" ]; then
			epmd -port "$BROKER_EPMD_PORT" >/dev/null 2>&1 &
			echo $! >"$BROKER_DIR/epmd.pid"
		fi
		"$RABBIT_BIN/rabbitmq-server" >>"$BROKER_DIR/server.out" 2>&1 &
		echo $! >"$BROKER_DIR/server.pid"
		"$RABBIT_BIN/rabbitmqctl" -q -n "$BROKER_NODE" wait \
		    --timeout 60 "$BROKER_DIR/rabbit.pid" >/dev/null
	) || { tail -20 "$BROKER_DIR/server.out" >&2; return 1; }
}

# broker_stop: stops the node (its data stays for a restart).
broker_stop() {
	(
		broker_env
		"$RABBIT_BIN/rabbitmqctl" -q -n "$BROKER_NODE" stop \
		    >/dev/null 2>&1
	)
	if [ -f "$BROKER_DIR/server.pid" ]; then
		kill "$(cat "$BROKER_DIR/server.pid")" 2>/dev/null
		rm -f "$BROKER_DIR/server.pid"
	fi
}

# broker_kill: stops the node and its epmd for good.
broker_kill() {
	broker_stop
	if [ -f "$BROKER_DIR/epmd.pid" ]; then
		kill "$(cat "$BROKER_DIR/epmd.pid")" 2>/dev/null
		rm -f "$BROKER_DIR/epmd.pid"
	fi
}

# broker_count QUEUE: messages ready in QUEUE.
broker_count() {
	(
		broker_env
		"$RABBIT_BIN/rabbitmqctl" -q -n "$BROKER_NODE" list_queues \
		    name messages | awk -v q="$1" '$1 == q { print $2 }'
	)
}
