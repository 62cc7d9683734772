// Package adminserve is the admin listener every Halyard process runs beside its main one
// (HALYARD_ADMIN_ADDR, default :9090): Prometheus metrics from the process's own registry at GET /metrics,
// and the process's JSON status at GET /status. It is for operators, dashboards and alerts, not for SDKs
// or admin API clients: keep it off public networks.
package adminserve
