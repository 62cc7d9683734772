package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestEvaluatorObservability: after a change through the admin API, the evaluator's /status (on its admin
// listener) shows the environment at the change's version, and its /metrics has
// halyard_snapshot_version{environment="<id>"} at that version.
func TestEvaluatorObservability(t *testing.T) {
	c := startCluster(t, 1)
	ev := c.Evaluators[0]
	cl, env := newEnvironment(t, c)
	version, err := cl.Do(context.Background(), http.MethodPost, admin.FlagsPath(env.ID), emailFlag("observed", "ada@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}

	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		s, err := adminStatus(ev)
		if err != nil {
			return err
		}
		if s.Status != "healthy" || !s.Ready || !s.NATS.Connected {
			return fmt.Errorf("status %+v", s)
		}
		for _, e := range s.Environments {
			if e.ID == env.ID && e.Version == version && e.Flags == 1 && e.Source == "stream" {
				return nil
			}
		}
		return fmt.Errorf("environment %d not at v%d: %+v", env.ID, version, s.Environments)
	})
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		got, err := metricValue(ev, fmt.Sprintf(`halyard_snapshot_version{environment="%d"}`, env.ID))
		if err != nil {
			return err
		}
		if got != float64(version) {
			return fmt.Errorf("halyard_snapshot_version = %v, want %d", got, version)
		}
		return nil
	})
	if _, err := metricValue(ev, `halyard_evaluations_total{route="flags"}`); err != nil {
		t.Error(err)
	}
	resp, err := httpClient.Get(ev.URL() + "/version")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Version, Commit string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK || v.Version == "" || v.Commit == "" {
		t.Errorf("GET /version on the main port: %d %+v %v", resp.StatusCode, v, err)
	}
}

// evaluatorStatusBody is the part of an evaluator's /status this test reads.
type evaluatorStatusBody struct {
	Status string `json:"status"`
	Ready  bool   `json:"ready"`
	NATS   struct {
		Connected bool `json:"connected"`
	} `json:"nats"`
	Environments []struct {
		ID      int64  `json:"id"`
		Version int64  `json:"version"`
		Flags   int    `json:"flags"`
		Source  string `json:"source"`
	} `json:"environments"`
}

func adminStatus(p *cluster.Process) (*evaluatorStatusBody, error) {
	resp, err := httpClient.Get(p.AdminURL() + "/status")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var s evaluatorStatusBody
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s /status: %d %v", p.Name, resp.StatusCode, err)
	}
	return &s, nil
}

// metricValue reads the sample named series (name{labels} exactly as the text format writes it) from the
// process's /metrics.
func metricValue(p *cluster.Process, series string) (float64, error) {
	resp, err := httpClient.Get(p.AdminURL() + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("%s /metrics: %d %s", p.Name, resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("%s /metrics has no %s", p.Name, series)
}
