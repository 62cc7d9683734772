package compose

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCluster starts the compose cluster from the locally built images and drives it end to end: the images
// report their version, the seed creates the demo environment (and finds it again), a flag created through
// the writer reaches every evaluator behind the load balancer, Prometheus scrapes its targets, and with one
// NATS node stopped a second change still reaches the evaluators. `make test-compose` builds the images and runs it; it needs a
// Docker engine and HALYARD_COMPOSE=1. HALYARD_IMAGE_TAG names the images' tag (default latest).
func TestCluster(t *testing.T) {
	if os.Getenv("HALYARD_COMPOSE") != "1" {
		t.Skip("needs a Docker engine and the images: `make test-compose` runs it (HALYARD_COMPOSE=1)")
	}
	tag := os.Getenv("HALYARD_IMAGE_TAG")
	if tag == "" {
		tag = "latest"
	}
	checkVersions(t, tag)
	c := startCluster(t, tag)
	envID, sdkKey := seeded(t, c)
	writer, lb := c.URL("writer", 8080)+"/api/v1/environments/"+envID, c.URL("lb", 8081)
	ctx := context.Background()

	if _, err := call(ctx, http.MethodPost, writer+"/flags", c.Token, map[string]any{"key": "compose-check",
		"filters": rollout(100)["filters"]}, nil); err != nil {
		t.Fatalf("create a flag through the writer: %v", err)
	}
	waitAgreed(t, lb, sdkKey, "compose-check", true, evaluators, time.Minute)

	checkTargets(t, c.URL("prometheus", 9090))

	c.run(2*time.Minute, "stop", "-t", "10", "nats-1")
	t.Log("nats-1 stopped")
	if _, err := call(ctx, http.MethodPatch, writer+"/flags/compose-check", c.Token, rollout(0), nil); err != nil {
		t.Fatalf("change the flag with nats-1 down: %v", err)
	}
	waitAgreed(t, lb, sdkKey, "compose-check", false, evaluators, time.Minute)

	c.run(2*time.Minute, "start", "nats-1")
	c.waitHealthy(2 * time.Minute) // nats-1's /healthz: JetStream caught up with its peers
}

// seeded returns the environment id and SDK key the seed printed, after checking that running the seed
// again finds the same environment rather than making another.
func seeded(tb testing.TB, c *liveCluster) (envID, sdkKey string) {
	tb.Helper()
	ids := strings.Fields(c.run(time.Minute, "ps", "-q", "-a", "seed"))
	if len(ids) != 1 {
		tb.Fatalf("%d seed containers, want 1", len(ids))
	}
	first, err := c.docker("logs", ids[0])
	if err != nil {
		tb.Fatal(err)
	}
	again := c.run(2*time.Minute, "run", "--rm", "-T", "seed")
	re := regexp.MustCompile(`(?m)^HALYARD_ENVIRONMENT_ID=(\d+)\nHALYARD_SDK_KEY=(\S+)$`)
	m1, m2 := re.FindStringSubmatch(first), re.FindStringSubmatch(again)
	if m1 == nil || m2 == nil {
		tb.Fatalf("the seed did not print the environment and key:\nfirst run:\n%s\nsecond run:\n%s", first, again)
	}
	if m1[1] != m2[1] || m1[2] != m2[2] || !strings.Contains(again, "reused") {
		tb.Fatalf("the second seed run did not reuse the demo environment:\nfirst run:\n%s\nsecond run:\n%s", first, again)
	}
	tb.Logf("demo environment %s", m1[1])
	return m1[1], m1[2]
}

// checkTargets waits until Prometheus scrapes every target of prometheus.yml and finds it up: Prometheus,
// the load balancer, the writer and each evaluator on its admin port. (A container's first scrape may come
// before its name resolves on the network; the next one finds it.)
func checkTargets(tb testing.TB, promURL string) {
	tb.Helper()
	up := scrapedTargets(tb, promURL, scrapeTargets(tb), 2*time.Minute)
	tb.Logf("every Prometheus target up (%d)", len(up))
}
