#!/usr/bin/env bash
# make down: stop the local stack in the reverse of the start order, each
# process with SIGTERM, then SIGKILL if it is still there after 30 s. The data
# in .data/ stays.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Seconds a process may take to stop after SIGTERM.
GRACE=${KAOPING_DOWN_GRACE:-30}

# gone PID: the process has exited (a zombie has exited, too).
gone() { ! alive "$1"; }

# wait_gone PID SECONDS
wait_gone() {
	local deadline=$((SECONDS + $2))
	until gone "$1"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

stop() {
	local name=$1 pid
	[[ -f "$RUN/$name.pid" ]] || return 0
	if ! pid=$(running "$name"); then
		log "down: $name not running"
		rm -f "$RUN/$name.pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	if wait_gone "$pid" "$GRACE"; then
		log "down: $name stopped (pid $pid)"
	else
		log "down: $name (pid $pid) still running ${GRACE}s after SIGTERM: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone "$pid" 10 || log "down: $name (pid $pid) survives SIGKILL"
	fi
	rm -f "$RUN/$name.pid"
}

# First whatever left a pid file but is not in the stack now (a service
# started while KAOPING_LOCAL_SERVICES listed more), then the stack in reverse.
order=()
for name in $STACK; do order=("$name" "${order[@]}"); done
for f in "$RUN"/*.pid; do
	[[ -e $f ]] || continue
	name=$(basename "$f" .pid)
	[[ " $STACK " == *" $name "* ]] || order=("$name" "${order[@]}")
done
for name in "${order[@]}"; do
	stop "$name"
done
