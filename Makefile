# kaoping: every target works from a fresh clone (GUIDE.md, "Makefile").
# A go.work root has no module of its own, so `go test ./...` here fails: the
# Go targets run in each module that `go list -m` lists.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go

.PHONY: all deps test lint bench bench-scale fuzz soak up down clean demo rebuild

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

# deps installs what the machine lacks, from Debian's archive, and no more:
# ClickHouse (18.16), which the tests and the local stack run as a plain
# process; promtool (package prometheus), which checks the alert rules, their
# unit tests, the scrape configuration and every service's /metrics; and
# docker-compose (v1), which validates deploy/compose without a Docker engine;
# chromium and fonts-noto-cjk, which the browser tests of the pages drive
# headless (the Chinese must render), libreoffice-calc, which converts the
# XLSX downloads in a test to prove a spreadsheet program opens them, and
# ZooKeeper (package zookeeper: its jars and zkServer.sh, no daemon), which
# the ClickHouse cluster test (pkg/testkit StartClickHouseCluster) starts on a
# free loopback port. A system service a package may start is stopped and
# disabled: ClickHouse's would hold ports 9000 and 8123, Prometheus's 9090.
deps:
	@sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	apt() { $$sudo env DEBIAN_FRONTEND=noninteractive apt-get "$$@"; }; \
	stop_service() { \
		if command -v systemctl >/dev/null && systemctl is-active --quiet "$$1" 2>/dev/null; then \
			$$sudo systemctl disable --now "$$1" || true; \
		elif [ -x "/etc/init.d/$$1" ] && "/etc/init.d/$$1" status >/dev/null 2>&1; then \
			$$sudo "/etc/init.d/$$1" stop || true; \
		fi; \
	}; \
	missing=""; \
	if command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] || command -v clickhouse >/dev/null; then :; \
	else missing="$$missing clickhouse-server clickhouse-client"; fi; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto | grep -q CJK || missing="$$missing fonts-noto-cjk"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-calc"; \
	[ -f /usr/share/zookeeper/bin/zkServer.sh ] || missing="$$missing zookeeper"; \
	if [ -z "$$missing" ]; then echo "deps: ClickHouse, promtool, docker-compose, chromium, fonts-noto-cjk, libreoffice-calc and ZooKeeper are installed"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	apt update; \
	apt install -y --no-install-recommends $$missing; \
	stop_service clickhouse-server; \
	stop_service prometheus; \
	stop_service zookeeper

# KAOPING_REQUIRE_BROWSER: deps installed chromium and LibreOffice, so the
# browser and spreadsheet tests fail rather than skip should they be missing.
test: deps
	@export KAOPING_REQUIRE_BROWSER=1; $(call each_module,$(GO) test -count=1 -timeout 10m ./...)

# lint: go vet and gofmt; promtool on the alert rules, their unit tests and
# every service's /metrics (e2e TestMetrics starts them); docker-compose config
# on deploy/compose, alone and with its ClickHouse cluster option; the
# Kubernetes manifests and the cluster overlay decoded strictly into the API's
# types (deploy TestKubernetesManifests, TestKubernetesClusterOverlay).
lint: deps
	@$(call each_module,$(GO) vet ./...)
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: not formatted:" >&2; echo "$$unformatted" >&2; exit 1; fi
	@cd deploy/prometheus && promtool check rules rules/*.yml && promtool test rules tests/*.yml
	@docker-compose --project-directory deploy/compose -f deploy/compose/compose.yaml config -q && echo "docker-compose config: deploy/compose/compose.yaml is valid"
	@docker-compose --project-directory deploy/compose -f deploy/compose/compose.yaml -f deploy/compose/cluster.yaml config -q && echo "docker-compose config: deploy/compose/compose.yaml with cluster.yaml is valid"
	@cd deploy && $(GO) test -count=1 -run '^(TestPrometheusConfig|TestCompose|TestComposeCluster|TestKubernetesManifests|TestKubernetesClusterOverlay|TestClusterProfile|TestNATSConfiguration)$$' .
	@cd e2e && $(GO) test -count=1 -run '^TestMetrics$$' .

# bench runs every Go benchmark, then the delivery bench of issue 12 (e2e,
# the real binaries): SDK and HTTP against clickhouse-client's own load,
# freshness and the aggregator's memory. Its table is also written to
# out/bench-delivery.txt.
bench: deps
	@$(call each_module,$(GO) test -run '^$$' -bench . -benchmem ./...)
	@mkdir -p out
	@cd e2e && KAOPING_BENCH=1 KAOPING_BENCH_OUT=$(CURDIR)/out/bench-delivery.txt $(GO) test -count=1 -timeout 30m -run '^TestDeliveryBench$$' .

# bench-scale scores a province (1,500 streets, 25,000 communities, 300,000
# cadres): a quarter of 5 million events, then a year of 20 million, loaded
# through JetStream and the aggregator, with the run's time, the scorer's and
# ClickHouse's peak memory and a load test of the rankings. It takes many
# minutes. BENCH_SCALE=quarter (or small) runs one scenario; BENCH_LOAD=direct
# inserts straight into ClickHouse instead of the real path.
BENCH_SCALE ?= quarter,year
BENCH_LOAD ?= stream
bench-scale: deps
	@cd e2e && KAOPING_BENCH_SCALE=$(BENCH_SCALE) KAOPING_BENCH_LOAD=$(BENCH_LOAD) \
		$(GO) test -count=1 -run '^TestScaleBench$$' -timeout 6h -v .

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
