// Package e2e holds Halyard's end-to-end tests: the real writer and evaluator binaries, a real PostgreSQL
// (a fresh database per test on the local server, TEST_DATABASE_URL to point elsewhere) and an in-process
// NATS JetStream server, exercised over HTTP the way admins and SDKs use them.
package e2e
