// Package deploy holds no code: its tests check what deploy/ ships. The
// Grafana boards are run against a real ClickHouse loaded with the
// simulator's quarter (grafana_test.go), the Prometheus rules and their unit
// tests by promtool (prometheus_test.go), the compose file by docker-compose
// (compose_test.go) and the Kubernetes manifests by decoding them strictly
// into the API's own types (k8s_test.go).
package deploy
