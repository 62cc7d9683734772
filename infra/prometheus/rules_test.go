package prometheus

import (
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// runbookBase is where every alert's runbook_url points: its section of docs/operations.md, whose anchor is
// the alert's name in lower case (GitHub's anchor for a heading made of one word).
const runbookBase = "https://github.com/halyard-flags/halyard/blob/main/docs/operations.md#"

// operationsDoc is the operator's guide, relative to this package.
const operationsDoc = "../../docs/operations.md"

type alertRule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// alertRules returns every alerting rule of alerts.yml.
func alertRules(tb testing.TB) []alertRule {
	tb.Helper()
	var f struct {
		Groups []struct {
			Rules []alertRule `json:"rules"`
		} `json:"groups"`
	}
	readYAML(tb, "alerts.yml", &f)
	var out []alertRule
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		tb.Fatal("alerts.yml has no alerting rule")
	}
	return out
}

// TestAlertsConventions checks what an operator paged at night relies on: a `for:` (no alert on one bad
// scrape), a severity to route on, the service, a summary and a description that says what to do, and a
// runbook_url whose section exists in docs/operations.md.
func TestAlertsConventions(t *testing.T) {
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range alertRules(t) {
		t.Run(r.Alert, func(t *testing.T) {
			if seen[r.Alert] {
				t.Errorf("alert %s is defined twice", r.Alert)
			}
			seen[r.Alert] = true
			if r.For == "" || strings.Trim(r.For, "0smh") == "" {
				t.Errorf("for: %q; want a duration above zero", r.For)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("severity %q; want critical or warning", s)
			}
			if s := r.Labels["service"]; !slices.Contains([]string{"writer", "evaluator", "any"}, s) {
				t.Errorf("service %q; want writer, evaluator or any", s)
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("no %s annotation", a)
				}
			}
			if got, want := r.Annotations["runbook_url"], runbookBase+strings.ToLower(r.Alert); got != want {
				t.Errorf("runbook_url %q; want %q", got, want)
			}
			if !strings.Contains(string(doc), "\n### "+r.Alert+"\n") {
				t.Errorf("docs/operations.md has no section \"### %s\" for its runbook_url", r.Alert)
			}
		})
	}
}

// TestAlertsTested checks that alerts_test.yml shows every alert of alerts.yml both firing and quiet, and
// tests no alert that does not exist.
func TestAlertsTested(t *testing.T) {
	var f struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	readYAML(t, "alerts_test.yml", &f)
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	defined := map[string]bool{}
	for _, r := range alertRules(t) {
		defined[r.Alert] = true
		if !fires[r.Alert] {
			t.Errorf("alerts_test.yml never shows %s firing", r.Alert)
		}
		if !quiet[r.Alert] {
			t.Errorf("alerts_test.yml never shows %s quiet", r.Alert)
		}
	}
	for name := range fires {
		if !defined[name] {
			t.Errorf("alerts_test.yml tests %s, which alerts.yml does not define", name)
		}
	}
	for name := range quiet {
		if !defined[name] {
			t.Errorf("alerts_test.yml tests %s, which alerts.yml does not define", name)
		}
	}
}

func readYAML(tb testing.TB, path string, v any) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}
