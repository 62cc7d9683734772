package compose

import (
	"fmt"
	"strings"
	"time"
)

// containerState is one container of the project as docker inspect sees it.
type containerState struct {
	Service, Status, Health string
	ExitCode                string
}

func (c *liveCluster) states() ([]containerState, error) {
	ids, err := c.try(time.Minute, "ps", "-q", "-a")
	if err != nil {
		return nil, err
	}
	if len(strings.Fields(ids)) == 0 {
		return nil, fmt.Errorf("no containers")
	}
	const format = `{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} ` +
		`{{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}`
	out, err := c.docker(append([]string{"inspect", "--format", format}, strings.Fields(ids)...)...)
	if err != nil {
		return nil, err
	}
	var states []containerState
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("docker inspect: %q", line)
		}
		states = append(states, containerState{f[0], f[1], f[2], f[3]})
	}
	return states, nil
}

// notReady says what keeps the project from being ready: a container not running and healthy, or a
// one-shot (no health check) that has not exited 0. "" when everything is ready.
func notReady(states []containerState, oneShot map[string]bool) string {
	var waiting []string
	for _, s := range states {
		switch {
		case oneShot[s.Service] && s.Status == "exited" && s.ExitCode != "0":
			return fmt.Sprintf("FAILED: %s exited %s", s.Service, s.ExitCode)
		case oneShot[s.Service] && s.Status == "exited":
		case oneShot[s.Service]:
			waiting = append(waiting, s.Service+" "+s.Status)
		case s.Status != "running" || s.Health != "healthy":
			waiting = append(waiting, s.Service+" "+s.Status+"/"+s.Health)
		}
	}
	return strings.Join(waiting, ", ")
}

// waitHealthy polls until every service is healthy and the seed has exited 0.
func (c *liveCluster) waitHealthy(timeout time.Duration) {
	c.tb.Helper()
	start, deadline := time.Now(), time.Now().Add(timeout)
	last := "nothing inspected yet"
	for time.Now().Before(deadline) {
		states, err := c.states()
		if err != nil {
			last = err.Error()
		} else if last = notReady(states, map[string]bool{"seed": true}); last == "" {
			c.tb.Logf("every service healthy after %s", time.Since(start).Round(time.Second))
			return
		} else if strings.HasPrefix(last, "FAILED") {
			break
		}
		time.Sleep(time.Second)
	}
	c.tb.Fatalf("the cluster is not ready: %s", last)
}
