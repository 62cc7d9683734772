package compose

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// liveCluster is a compose project started by a test from the locally built images, under a name of its
// own, with the writer published on loopback (publish-writer.yml) and every published port chosen by Docker.
type liveCluster struct {
	tb      testing.TB
	compose []string // the compose command: docker-compose, or docker compose
	root    string
	project string
	env     []string
	Token   string // the writer's admin token
}

// composeCommand is $COMPOSE, else `docker compose` where that plugin exists, else docker-compose.
func composeCommand() []string {
	if c := strings.Fields(os.Getenv("COMPOSE")); len(c) > 0 {
		return c
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	return []string{"docker-compose"}
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// startCluster checks that the images exist, then brings the cluster up and waits until every service is
// healthy and the seed has finished. It is torn down, volumes included, when the test ends, whatever happens.
func startCluster(tb testing.TB, tag string) *liveCluster {
	tb.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		tb.Fatal(err)
	}
	c := &liveCluster{tb: tb, compose: composeCommand(), root: root, project: "halyardtest" + randomHex(tb, 4),
		Token: "compose-test-" + randomHex(tb, 12)}
	c.env = append(os.Environ(), "HALYARD_IMAGE_TAG="+tag, "HALYARD_BIND=127.0.0.1", "HALYARD_LB_PORT=0",
		"HALYARD_PROMETHEUS_PORT=0", "HALYARD_WRITER_PORT=0", "HALYARD_ADMIN_TOKEN="+c.Token)
	for _, svc := range []string{"writer", "evaluator", "seed", "haproxy", "prometheus", "postgres"} {
		if err := exec.Command("docker", "image", "inspect", "halyard/"+svc+":"+tag).Run(); err != nil {
			tb.Fatalf("image halyard/%s:%s is missing: run `make images` (make test-compose does)", svc, tag)
		}
	}
	tb.Cleanup(c.down)
	tb.Logf("starting compose project %s (%s)", c.project, strings.Join(c.compose, " "))
	c.run(10*time.Minute, "up", "-d")
	c.waitHealthy(3 * time.Minute)
	return c
}

// run runs a compose command for the project and returns its standard output; it fails the test on error.
func (c *liveCluster) run(timeout time.Duration, args ...string) string {
	c.tb.Helper()
	out, err := c.try(timeout, args...)
	if err != nil {
		c.tb.Fatal(err)
	}
	return out
}

// try is run without failing the test.
func (c *liveCluster) try(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append(c.compose[1:], "-p", c.project, "-f", "docker-compose.yml", "-f", publishWriter)
	cmd := exec.CommandContext(ctx, c.compose[0], append(argv, args...)...)
	cmd.Dir, cmd.Env = c.root, c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s%s", strings.Join(c.compose, " "),
			strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}

// docker runs a docker command and returns its standard output.
func (c *liveCluster) docker(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.String(), nil
}

// URL is the http:// address a service's container port is published on.
func (c *liveCluster) URL(service string, port int) string {
	c.tb.Helper()
	addr := strings.TrimSpace(c.run(30*time.Second, "port", service, fmt.Sprint(port)))
	if addr == "" || strings.HasSuffix(addr, ":0") {
		c.tb.Fatalf("%s:%d is not published (%q)", service, port, addr)
	}
	return "http://" + addr
}

// down dumps the last logs of every service when the test failed, then removes the project, its network
// and its volumes.
func (c *liveCluster) down() {
	if c.tb.Failed() {
		if logs, err := c.try(time.Minute, "logs", "--no-color", "--tail", "60"); err == nil {
			c.tb.Logf("logs of %s:\n%s", c.project, logs)
		}
	}
	if _, err := c.try(5*time.Minute, "down", "-v", "--remove-orphans", "-t", "10"); err != nil {
		c.tb.Errorf("tearing down %s: %v", c.project, err)
	}
}
