#!/usr/bin/env bash
# make up: build every binary into .run/bin/, then start the local stack in the
# background, one process after the other, each once the one before is ready:
# ClickHouse (data in .data/clickhouse), natsd (JetStream store in .data/nats),
# then $SERVICES (lib.sh). Each writes .run/<name>.log and .run/<name>.pid. Run
# again, it starts only what is not running.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Seconds each process may take to become ready.
TIMEOUT=${KAOPING_UP_TIMEOUT:-60}

export_stack_env

mkdir -p "$BIN" "$RUN/clickhouse" "$DATA/clickhouse" "$DATA/nats"

build() {
	command -v go >/dev/null || die "up: go is not installed (see GUIDE.md)"
	local b bins
	read -ra bins <<<"natsd $SERVICES $TOOLS"
	for b in "${bins[@]}"; do
		[[ -d "services/$b" ]] || die "up: services/$b does not exist"
		if ! go build -o "$BIN/$b" "./services/$b"; then
			die "up: cannot build services/$b (see the errors above)"
		fi
	done
	log "up: built ${bins[*]} into .run/bin/"
}

# clickhouse_command sets CMD to the command that runs a ClickHouse server.
clickhouse_command() {
	local p
	for p in clickhouse-server /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
		if command -v "$p" >/dev/null; then
			CMD=("$(command -v "$p")")
			return
		fi
	done
	for p in clickhouse /usr/bin/clickhouse; do
		if command -v "$p" >/dev/null; then
			CMD=("$(command -v "$p")" server)
			return
		fi
	done
	die "up: no ClickHouse server installed (clickhouse-server or clickhouse): run \`make deps\`"
}

# command_of NAME sets CMD to the command line that starts NAME.
command_of() {
	case $1 in
	clickhouse)
		clickhouse_command
		CMD+=("--config-file=$RUN/clickhouse/config.xml")
		;;
	natsd)
		CMD=("$BIN/natsd" --addr 127.0.0.1:4222 --http-addr 127.0.0.1:8222 --store-dir "$DATA/nats")
		;;
	*)
		CMD=("$BIN/$1")
		;;
	esac
}

# ports_of NAME lists the ports NAME listens on, to find a stranger on them.
ports_of() {
	case $1 in
	clickhouse) echo 8123 9000 ;;
	natsd) echo 8222 4222 ;;
	*) ready_endpoint "$1" | cut -d' ' -f2 ;;
	esac
}

write_clickhouse_config() {
	local f
	for f in config.xml users.xml; do
		sed -e "s|@RUN@|$RUN|g" -e "s|@DATA@|$DATA/clickhouse|g" \
			"$LOCAL/clickhouse/$f" >"$RUN/clickhouse/$f"
	done
}

# show_log NAME prints the end of NAME's logs.
show_log() {
	local f
	for f in "$RUN/$1.log" "$RUN/$1-server.err.log"; do
		[[ -s $f ]] || continue
		log "--- last lines of ${f#"$ROOT"/} ---"
		tail -n 40 "$f" >&2
	done
}

# start NAME starts NAME detached (own session, immune to hangups), output to
# .run/NAME.log, pid to .run/NAME.pid.
start() {
	local name=$1 port
	for port in $(ports_of "$name"); do
		if port_open "$port"; then
			die "up: cannot start $name: port $port is already taken by a process make up did not start (a system service? stop it first)"
		fi
	done
	if [[ $name == clickhouse ]]; then
		write_clickhouse_config
	fi
	command_of "$name"
	printf '=== %s up.sh starts: %s\n' "$(date -u +%FT%TZ)" "${CMD[*]}" >>"$RUN/$name.log"
	# Without job control the background child is no process group leader,
	# so setsid does not fork and $! is the pid of the service itself.
	setsid nohup "${CMD[@]}" >>"$RUN/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
}

# wait_ready NAME waits for NAME's readiness endpoint. On a timeout or an exit
# it prints the end of NAME's log, stops what is left of it, and fails.
wait_ready() {
	local name=$1 pid=$2 deadline=$((SECONDS + TIMEOUT))
	until ready "$name"; do
		if ! alive "$pid"; then
			show_log "$name"
			rm -f "$RUN/$name.pid"
			die "up: $name (pid $pid) exited before it was ready; its log is .run/$name.log"
		fi
		if ((SECONDS >= deadline)); then
			show_log "$name"
			kill -TERM "$pid" 2>/dev/null || true
			rm -f "$RUN/$name.pid"
			die "up: $name (pid $pid) not ready after ${TIMEOUT}s (KAOPING_UP_TIMEOUT); stopped it; its log is .run/$name.log"
		fi
		sleep 0.2
	done
}

# create_database makes the database the services use; they migrate it.
create_database() {
	local answer
	answer=$(http_request POST 127.0.0.1 8123 / "CREATE DATABASE IF NOT EXISTS $KAOPING_CLICKHOUSE_DATABASE") || true
	[[ ${answer%%$'\n'*} == 200 ]] || die "up: cannot create database $KAOPING_CLICKHOUSE_DATABASE: ${answer:-no answer}"
}

build
for name in $STACK; do
	if pid=$(running "$name"); then
		wait_ready "$name" "$pid"
		log "up: $name already running (pid $pid)"
	else
		rm -f "$RUN/$name.pid"
		start "$name"
		pid=$(<"$RUN/$name.pid")
		wait_ready "$name" "$pid"
		log "up: $name started (pid $pid)"
	fi
	if [[ $name == clickhouse ]]; then
		create_database
	fi
done
log "up: ready: ClickHouse 127.0.0.1:9000 (HTTP 8123), NATS 127.0.0.1:4222 (HTTP 8222)$(
	for s in $SERVICES; do printf ', %s :%s' "$s" "$(ports_of "$s")"; done
); logs and pids in .run/"
