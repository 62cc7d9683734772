// Package cluster starts a real local Halyard cluster for development, integration tests and benchmarks:
// an in-process NATS server with JetStream, a PostgreSQL (a fresh database on a running server, or a
// throwaway initdb cluster), and the real writer and evaluator binaries as child processes.
package cluster
