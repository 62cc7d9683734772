// Package tracing is how both Halyard services emit OpenTelemetry traces: the configuration read from the
// standard OTEL_* variables and HALYARD_TRACING (off unless an OTLP endpoint is set), Setup installing an
// OTLP/HTTP exporter behind the global tracer provider with the W3C trace-context propagator, and the
// carriers that move a trace's context through what Halyard stores and sends: a map (an outbox row) and
// NATS message headers. Off, nothing is installed: the global no-op tracer and propagator cost a request
// next to nothing.
package tracing
