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

# broker_tls: a CA and a server certificate for 127.0.0.1 (openssl), and
# a TLS listener on loopback next to the plain one; sets BROKER_TLS_URL and
# BROKER_CA. Call it before broker_start.
broker_tls() {
	local d=$BROKER_DIR/tls
	mkdir -p "$d"
	BROKER_TLS_PORT=$(free_port)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 2 -subj /CN=cronq-test-ca -keyout "$d/ca.key" \
	    -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=127.0.0.1 -keyout "$d/server.key" \
	    -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost\n' \
	    >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca.key" -CAcreateserial -days 2 -extfile "$d/ext" \
	    -out "$d/server.pem" 2>/dev/null
	chmod 644 "$d"/*
	cat >"$BROKER_DIR/rabbitmq.conf" <<-EOC
	listeners.ssl.1 = 127.0.0.1:$BROKER_TLS_PORT
	ssl_options.cacertfile = $d/ca.pem
	ssl_options.certfile = $d/server.pem
	ssl_options.keyfile = $d/server.key
	ssl_options.verify = verify_none
	ssl_options.fail_if_no_peer_cert = false
	EOC
	BROKER_TLS_URL="amqps://guest:guest@127.0.0.1:$BROKER_TLS_PORT"
	BROKER_CA=$d/ca.pem
	export BROKER_TLS_PORT BROKER_TLS_URL BROKER_CA
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
