// Package compose holds the tests that keep Halyard's local cluster honest: docker-compose.yml, the
// Dockerfiles it builds and the NATS config it mounts. There is no Docker engine in CI, so these tests
// load the compose file with the same library Docker Compose uses (compose-go), check the files it
// points at, and run the NATS config in an in-process server.
package compose
