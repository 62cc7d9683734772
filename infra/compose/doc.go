// Package compose holds the tests that keep Halyard's compose cluster honest: docker-compose.yml, the images
// it runs (infra/docker), and the configuration it mounts (NATS, HAProxy, Prometheus, Grafana).
//
// Most tests need no Docker engine: they load the compose file with the library Docker Compose uses
// (compose-go), check the Dockerfiles and configuration files it points at against it, and run the NATS
// configuration, users and permissions in an in-process server. TestCluster, run by `make test-compose`
// with HALYARD_COMPOSE=1, starts the whole cluster from the locally built images and drives it.
package compose
