#!/usr/bin/env bash
# make rebuild: recreate the local stack's events table from the stream's first
# message (aggregator rebuild). The stack keeps running; rankings read the old
# table until the new one is swapped in. Run it again at will: it is idempotent.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
export_stack_env
[[ -x $BIN/aggregator ]] || die "rebuild: $BIN/aggregator is not built: run make up first"
running natsd >/dev/null || die "rebuild: the local stack is not up (make up)"
exec "$BIN/aggregator" rebuild
