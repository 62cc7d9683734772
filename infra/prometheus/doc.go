// Package prometheus holds no code: its tests keep the Prometheus configuration in this directory, and the
// PromQL of the Grafana dashboards, honest. promtool (Debian's prometheus package; `make test-deps` installs
// it) checks prometheus.yml and the rule files it loads, runs alerts_test.yml, the unit tests of alerts.yml,
// and parses every dashboard query; Go checks what promtool does not: every alert has a `for:`, a severity,
// a summary, a description and a runbook section in docs/operations.md, and is shown both firing and quiet
// by alerts_test.yml. That the metrics they name exist is devkit/e2e's TestMetricsExported.
package prometheus
