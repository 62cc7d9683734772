package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// promqlKeywords are the identifiers of PromQL that are not metric names when they stand outside a
// selector: aggregation operators, set and comparison modifiers, literals. Those that take a list of label
// names have true.
var promqlKeywords = map[string]bool{
	"sum": false, "min": false, "max": false, "avg": false, "group": false, "stddev": false, "stdvar": false,
	"count": false, "count_values": false, "bottomk": false, "topk": false, "quantile": false,
	"limitk": false, "limit_ratio": false, "and": false, "or": false, "unless": false, "atan2": false,
	"bool": false, "offset": false, "inf": false, "nan": false,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// promqlMetricNames returns, sorted and once each, the metric names a PromQL expression selects: every
// identifier that is not a function (followed by "("), a keyword, a label name (inside {…} or a by/on/…
// list), part of a string, a number, a duration or a range ([…]), or a Grafana variable ($name, ${name}).
// It reads the expressions Halyard's dashboards and alerts use; it is not a PromQL parser (promtool parses
// them all in infra/prometheus).
func promqlMetricNames(expr string) []string {
	names := map[string]bool{}
	r := []rune(expr)
	for i := 0; i < len(r); {
		switch c := r[i]; {
		case c == '"' || c == '\'' || c == '`':
			i = skipQuoted(r, i)
		case c == '{':
			i = skipTo(r, i, '}')
		case c == '[':
			i = skipTo(r, i, ']')
		case c == '$':
			i++
			if i < len(r) && r[i] == '{' {
				i = skipTo(r, i, '}')
			} else {
				i = identEnd(r, i)
			}
		case unicode.IsDigit(c) || c == '.':
			for i < len(r) && (isIdentRune(r[i]) || r[i] == '.') {
				i++
			}
		case isIdentStart(c):
			end := identEnd(r, i)
			word, next := string(r[i:end]), nextNonSpace(r, end)
			i = end
			takesList, keyword := promqlKeywords[word]
			switch {
			case keyword && takesList && next < len(r) && r[next] == '(':
				i = skipTo(r, next, ')')
			case keyword, next < len(r) && r[next] == '(':
			default:
				names[word] = true
			}
		default:
			i++
		}
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// labelValuesQuery matches a Grafana template variable query label_values(selector, label); the metric
// is in its selector only.
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// variableMetricNames returns the metric names of a Grafana template variable's query.
func variableMetricNames(query string) []string {
	if m := labelValuesQuery.FindStringSubmatch(query); m != nil {
		return promqlMetricNames(m[1])
	}
	if q, ok := strings.CutPrefix(strings.TrimSpace(query), "query_result("); ok {
		return promqlMetricNames(strings.TrimSuffix(q, ")"))
	}
	return nil // label_names(), metrics(…) and others select no metric by name
}

func skipQuoted(r []rune, i int) int {
	quote := r[i]
	for i++; i < len(r) && r[i] != quote; i++ {
		if r[i] == '\\' && quote != '`' {
			i++
		}
	}
	return i + 1
}

// skipTo returns the index after the first close at or after i.
func skipTo(r []rune, i int, close rune) int {
	for i < len(r) && r[i] != close {
		if r[i] == '"' || r[i] == '\'' || r[i] == '`' {
			i = skipQuoted(r, i)
			continue
		}
		i++
	}
	return i + 1
}

func identEnd(r []rune, i int) int {
	for i < len(r) && isIdentRune(r[i]) {
		i++
	}
	return i
}

func nextNonSpace(r []rune, i int) int {
	for i < len(r) && unicode.IsSpace(r[i]) {
		i++
	}
	return i
}

func isIdentStart(c rune) bool { return c == '_' || c == ':' || unicode.IsLetter(c) }
func isIdentRune(c rune) bool  { return isIdentStart(c) || unicode.IsDigit(c) }

func TestPromQLMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`up == 0`, []string{"up"}},
		{`halyard_ready == 0 and on (job, instance) halyard_environments`, []string{"halyard_environments", "halyard_ready"}},
		{`(sum(halyard_ready and on (job, instance) halyard_environments) or vector(0)) == 0`,
			[]string{"halyard_environments", "halyard_ready"}},
		{`histogram_quantile(0.99, sum by (job, route, le) (rate(halyard_http_request_duration_seconds_bucket{instance=~"$instance", route!~"/healthz|/readyz"}[$__rate_interval])))`,
			[]string{"halyard_http_request_duration_seconds_bucket"}},
		{`halyard_snapshot_version < on (job, environment) group_left () max by (job, environment) (halyard_snapshot_version offset 2m)`,
			[]string{"halyard_snapshot_version"}},
		{`min by (job, instance) (halyard_snapshot_age_seconds) > 600 and on (job, instance) halyard_nats_connected == 0`,
			[]string{"halyard_nats_connected", "halyard_snapshot_age_seconds"}},
		{`time() - min by (environment) (halyard_snapshot_last_apply_timestamp_seconds{environment=~"${environment}"})`,
			[]string{"halyard_snapshot_last_apply_timestamp_seconds"}},
		{`sum without (instance) (rate(process_cpu_seconds_total[5m])) * 1e3 > bool 0.5`, []string{"process_cpu_seconds_total"}},
		{`count_values("version", halyard_build_info) unless ignoring (le) go_goroutines`, []string{"go_goroutines", "halyard_build_info"}},
		{`label_replace(up, "a", "$1", "instance", "(.*):.*")`, []string{"up"}},
		{`vector(1)`, []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, promqlMetricNames(tt.expr)); diff != "" {
			t.Errorf("promqlMetricNames(%q) mismatch (-want +got):\n%s", tt.expr, diff)
		}
	}
}

func TestVariableMetricNames(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{`label_values(halyard_build_info, instance)`, []string{"halyard_build_info"}},
		{`label_values(halyard_snapshot_version{job=~"halyard.*"}, environment)`, []string{"halyard_snapshot_version"}},
		{`query_result(max by (environment) (halyard_snapshot_version))`, []string{"halyard_snapshot_version"}},
		{`label_names()`, nil},
		{`prometheus`, nil}, // a data source variable's query is a plugin id
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, variableMetricNames(tt.query)); diff != "" {
			t.Errorf("variableMetricNames(%q) mismatch (-want +got):\n%s", tt.query, diff)
		}
	}
}
