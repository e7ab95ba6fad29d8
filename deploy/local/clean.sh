#!/usr/bin/env bash
# make clean: stop the local stack, then remove its data (.data), its binaries,
# logs and pids (.run) and the demo's output (out).
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$LOCAL/down.sh"
rm -rf "$DATA" "$RUN" "$ROOT/out"
log "clean: removed .data, .run and out"
