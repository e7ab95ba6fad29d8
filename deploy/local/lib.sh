# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# Shared by up.sh, down.sh and clean.sh: where things live, which processes
# make up the local stack, and how to tell whether one is running.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL="$ROOT/deploy/local"
RUN="$ROOT/.run"
DATA="$ROOT/.data"
BIN="$RUN/bin"

# The kaoping services, in the order they start (down.sh stops them in
# reverse). ClickHouse and natsd always start first. Overridable, e.g. to try
# the stack while a service does not exist yet: KAOPING_LOCAL_SERVICES="".
SERVICES=${KAOPING_LOCAL_SERVICES-"aggregator ingest scorer api"}
# Binaries built but not started (the demo runs the simulator itself).
TOOLS=${KAOPING_LOCAL_TOOLS-"simulator"}

# Every process of the stack, in start order.
STACK="clickhouse natsd $SERVICES"

# Readiness endpoint (host port path) of each process.
ready_endpoint() {
	case $1 in
	clickhouse) echo "127.0.0.1 8123 /ping" ;;
	natsd) echo "127.0.0.1 8222 /readyz" ;;
	api) echo "127.0.0.1 8080 /readyz" ;;
	ingest) echo "127.0.0.1 8081 /readyz" ;;
	scorer) echo "127.0.0.1 8082 /readyz" ;;
	aggregator) echo "127.0.0.1 8083 /readyz" ;;
	*) return 1 ;;
	esac
}

# export_stack_env exports what every service of the local stack reads: its
# addresses, the development token, the source registry.
export_stack_env() {
	export KAOPING_NATS_URL=nats://127.0.0.1:4222
	export KAOPING_CLICKHOUSE_ADDR=127.0.0.1:9000
	export KAOPING_CLICKHOUSE_DATABASE=kaoping
	# SPEC §6: make up passes KAOPING_TOKENS from its environment and adds the
	# development token with full rights.
	export KAOPING_TOKENS="${KAOPING_TOKENS:+$KAOPING_TOKENS,}kaoping-dev-token=dev:admin"
	export KAOPING_SOURCES="$LOCAL/sources.yaml"
}

log() { printf '%s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# alive PID: the process exists and is not a zombie. kill -0 succeeds on a
# zombie, so the state is read from /proc/PID/stat: the field after the
# command name, which is in parentheses and may itself hold spaces or ")".
alive() {
	local stat state
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	state=${stat##*) }
	state=${state%% *}
	[[ $state != Z && $state != X ]]
}

# running NAME: prints the pid of NAME's process if its pid file names a live
# process that is still NAME (a stale pid file may name a reused pid).
running() {
	local name=$1 pid marker cmdline
	[[ -f "$RUN/$name.pid" ]] || return 1
	pid=$(<"$RUN/$name.pid")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	alive "$pid" || return 1
	if [[ $name == clickhouse ]]; then
		marker="$RUN/clickhouse/config.xml"
	else
		marker="$BIN/$name"
	fi
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$marker"* ]] || return 1
	echo "$pid"
}

# http_request METHOD HOST PORT PATH [BODY]: prints the status code, then the
# body. Plain bash (/dev/tcp), so a fresh machine needs no curl.
http_request() {
	local LC_ALL=C method=$1 host=$2 port=$3 path=$4 body=${5-}
	(
		exec 3<>"/dev/tcp/$host/$port" || exit 1
		printf '%s %s HTTP/1.0\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
			"$method" "$path" "$host" "${#body}" "$body" >&3
		IFS=' ' read -r -t 5 _ status _ <&3 || exit 1
		echo "$status"
		while IFS= read -r -t 5 line <&3; do
			[[ $line == $'\r' || -z $line ]] && break
		done
		while IFS= read -r -t 5 line <&3 || [[ -n $line ]]; do
			printf '%s\n' "$line"
		done
	) 2>/dev/null
}

# ready NAME: NAME answers 200 on its readiness endpoint.
ready() {
	local ep answer
	ep=$(ready_endpoint "$1") || return 1
	# shellcheck disable=SC2086 # ep is "host port path"
	answer=$(http_request GET $ep) || return 1
	[[ ${answer%%$'\n'*} == 200 ]]
}

# port_open PORT: something accepts connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
