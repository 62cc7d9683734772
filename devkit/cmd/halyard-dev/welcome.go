package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// flipFlag is the demo flag the printed commands switch: it is true for user-42, whose email is at
// example.com, while it is active, so the change shows in the /flags answer.
const flipFlag = "beta-banner"

// welcome is what a run prints once the cluster answers.
type welcome struct {
	c      *cluster.Cluster
	env    admin.Environment
	kept   bool // the demo environment is the one the last run left
	active bool // flipFlag is active now
}

// newWelcome reads whether flipFlag is active, so the printed PATCH changes it whatever the last run left.
func newWelcome(ctx context.Context, c *cluster.Cluster, env admin.Environment, kept bool) welcome {
	var f struct {
		Active bool `json:"active"`
	}
	cl := admin.New(c.Writer.URL(), c.Opts.AdminToken)
	if _, err := cl.Do(ctx, http.MethodGet, admin.FlagPath(env.ID, flipFlag), nil, &f); err != nil {
		f.Active = true // deleted or renamed by hand: the PATCH below reports that itself
	}
	return welcome{c: c, env: env, kept: kept, active: f.Active}
}

func (w welcome) print(out io.Writer) {
	c, env := w.c, w.env
	origin := "created now"
	if w.kept {
		origin = "kept from the last run"
	}
	var evaluators []string
	for _, ev := range c.Evaluators {
		evaluators = append(evaluators, ev.URL())
	}
	line := strings.Repeat("─", 78)
	fmt.Fprintf(out, "\n%s\n Halyard is running.\n", line)
	fmt.Fprintf(out, "   writer (admin API)  %s      admin token: %s\n", c.Writer.URL(), c.Opts.AdminToken)
	if c.Opts.UI {
		fmt.Fprintf(out, "   admin UI            %s/      (sign in with the admin token)\n", c.Writer.URL())
	}
	fmt.Fprintf(out, "   evaluators          %s\n", strings.Join(evaluators, "  "))
	fmt.Fprintf(out, "   NATS                %s\n   PostgreSQL          %s\n", c.NATSURL, c.DatabaseURL)
	fmt.Fprintf(out, "   demo environment    id %d (%s)   SDK key: %s   server key: %s\n\n", env.ID, origin, env.SDKKey, env.ServerKey)

	on, off := fmt.Sprintf(`"%s":true is in the answer`, flipFlag), flipFlag+" is left out (the answer lists enabled flags only)"
	before, after, turn := on, off, "off"
	if !w.active {
		before, after, turn = off, on, "on"
	}
	fmt.Fprintf(out, " Ask an evaluator for user-42's flags: %s.\n   %s\n\n", before, w.flagsCall(c.Evaluators[0]))
	fmt.Fprintf(out, " Switch %s %s:\n   curl -s -X PATCH %s%s \\\n", flipFlag, turn, c.Writer.URL(), admin.FlagPath(env.ID, flipFlag))
	fmt.Fprintf(out, "     -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"active\":%t}'\n\n", c.Opts.AdminToken, !w.active)
	fmt.Fprintf(out, " Ask another evaluator: within milliseconds %s.\n   %s\n\n", after, w.flagsCall(c.Evaluators[len(c.Evaluators)-1]))
	fmt.Fprintf(out, " Metrics and status of each process (its admin listener, HALYARD_ADMIN_ADDR):\n")
	for _, p := range append([]*cluster.Process{c.Writer}, c.Evaluators...) {
		fmt.Fprintf(out, "   %-12s %s/metrics  %s/status\n", p.Name, p.AdminURL(), p.AdminURL())
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, " Ctrl-C stops everything; the next make dev finds the same data and keys (make dev-reset wipes them).\n%s\n", line)
}

// flagsCall is the curl line asking ev for user-42's flags in /flags' compact v=1 shape.
func (w welcome) flagsCall(ev *cluster.Process) string {
	return fmt.Sprintf(`curl -s -X POST '%s/flags?v=1' -H 'Content-Type: application/json' \
     -d '{"token":"%s","distinct_id":"user-42","person_properties":{"email":"ada@example.com"}}'`, ev.URL(), w.env.SDKKey)
}
