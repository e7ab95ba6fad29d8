# kaoping: every target works from a fresh clone (GUIDE.md, "Makefile").
# A go.work root has no module of its own, so `go test ./...` here fails: the
# Go targets run in each module that `go list -m` lists.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go

.PHONY: all deps test lint bench fuzz soak up down clean demo rebuild

all: lint test

# each_module CMD: run CMD in every module of go.work; fail at the end if any
# failed. A module without a .go file yet (a service being written) is skipped
# with a warning, because `go test ./...` fails on it.
define each_module
	command -v $(GO) >/dev/null || { echo "go is not installed (Go 1.26, see GUIDE.md)" >&2; exit 1; }; \
	mods=$$($(GO) list -m -f '{{.Dir}}'); \
	failed=""; \
	for mod in $$mods; do \
		if [ -z "$$(find "$$mod" -name '*.go' -print -quit)" ]; then \
			echo "== $$mod: no Go package yet, skipped" >&2; continue; \
		fi; \
		echo "== $$mod: $(1)"; \
		(cd "$$mod" && $(1)) || failed="$$failed $$mod"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED in:$$failed" >&2; exit 1; fi
endef

# deps installs what the machine lacks: Debian's ClickHouse (18.16), which the
# tests and the local stack run as a plain process. A system service the
# package may start is stopped and disabled: it would hold ports 9000 and 8123.
deps:
	@if command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] || command -v clickhouse >/dev/null; then \
		echo "deps: ClickHouse is installed"; \
	else \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "deps: installing clickhouse-server and clickhouse-client"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y clickhouse-server clickhouse-client; \
		if command -v systemctl >/dev/null && systemctl is-active --quiet clickhouse-server 2>/dev/null; then \
			$$sudo systemctl disable --now clickhouse-server || true; \
		elif [ -x /etc/init.d/clickhouse-server ] && /etc/init.d/clickhouse-server status >/dev/null 2>&1; then \
			$$sudo /etc/init.d/clickhouse-server stop || true; \
		fi; \
	fi

test: deps
	@$(call each_module,$(GO) test -count=1 -timeout 10m ./...)

lint:
	@$(call each_module,$(GO) vet ./...)
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:" >&2; echo "$$unformatted" >&2; exit 1; fi

# bench runs every Go benchmark, then the delivery bench of issue 12 (e2e,
# the real binaries): SDK and HTTP against clickhouse-client's own load,
# freshness and the aggregator's memory. Its table is also written to
# out/bench-delivery.txt.
bench: deps
	@$(call each_module,$(GO) test -run '^$$' -bench . -benchmem ./...)
	@mkdir -p out
	@cd e2e && KAOPING_BENCH=1 KAOPING_BENCH_OUT=$(CURDIR)/out/bench-delivery.txt $(GO) test -count=1 -timeout 30m -run '^TestDeliveryBench$$' .

# fuzz runs every fuzz target of the repository (each func Fuzz… in a _test.go
# file) for FUZZTIME each, one after the other, and prints how many inputs
# each tried. Inputs that fail are written to the package's testdata/fuzz/,
# as go test does; commit them with the fix.
FUZZTIME ?= 60s
fuzz:
	@command -v $(GO) >/dev/null || { echo "go is not installed (Go 1.26, see GUIDE.md)" >&2; exit 1; }
	@summary=""; failed=""; \
	for file in $$(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' pkg services e2e | sort); do \
		dir=$$(dirname "$$file"); \
		for name in $$(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$$file" | cut -d' ' -f2); do \
			echo "== $$dir $$name ($(FUZZTIME))"; \
			out=$$(cd "$$dir" && $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) . 2>&1) || failed="$$failed $$dir:$$name"; \
			echo "$$out" | tail -n 3; \
			execs=$$(echo "$$out" | grep -oE 'execs: [0-9]+' | tail -n 1 | cut -d' ' -f2); \
			summary="$$summary$$(printf '%-40s %-32s %12s execs' "$$dir" "$$name" "$${execs:-?}")\n"; \
		done; \
	done; \
	printf '\nfuzzing, %s per target:\n%b' "$(FUZZTIME)" "$$summary"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed" >&2; exit 1; fi

# soak runs ingest at its benchmark rate for KAOPING_SOAK_DURATION (5m) on
# loopback (e2e, the real binaries) and checks no error, no loss and flat
# memory; its figures go to out/soak.txt. Not part of make test.
soak: deps
	@mkdir -p out
	@cd e2e && KAOPING_SOAK=1 KAOPING_SOAK_OUT=$(CURDIR)/out/soak.txt $(GO) test -count=1 -timeout 30m -v -run '^TestSoak$$' . 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'

up: deps
	@deploy/local/up.sh

down:
	@deploy/local/down.sh

clean:
	@deploy/local/clean.sh

# rebuild recreates the local stack's events table from the stream (idempotent).
rebuild:
	@deploy/local/rebuild.sh

demo: up
	.run/bin/simulator demo --out out
