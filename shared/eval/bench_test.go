package eval

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/shared/flag"
)

func BenchmarkRolloutOnly(b *testing.B) {
	e := compileOne(b, `{"id":1,"key":"rollout-only","active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":45}]}}`)
	c := &Context{DistinctID: "user-123456"}
	b.ReportAllocs()
	for b.Loop() {
		e.Evaluate("rollout-only", c)
	}
}

const richFlag = `{"id":2,"key":"rich","active":true,"filters":{"groups":[
 {"properties":[{"key":"email","type":"person","operator":"regex","value":"@(corp|example)\\.com$"},{"key":"plan","type":"person","operator":"exact","value":["pro","enterprise"]},{"key":"signup","type":"person","operator":"is_date_before","value":"-30d"}],"rollout_percentage":30},
 {"properties":[{"key":"country","type":"person","operator":"exact","value":["DE","FR"]},{"key":"age","type":"person","operator":"gt","value":21},{"key":"app_version","type":"person","operator":"semver_gte","value":"2.1.0"}],"rollout_percentage":50},
 {"properties":[{"key":"email","type":"person","operator":"icontains","value":"@partner"},{"key":"beta","type":"person","operator":"exact","value":true},{"key":"signup","type":"person","operator":"is_date_after","value":"2024-01-01"}],"rollout_percentage":80}],
 "multivariate":{"variants":[{"key":"control","rollout_percentage":50},{"key":"test","rollout_percentage":50}]},
 "payloads":{"test":"{\"color\":\"blue\"}"}}}`

func richContext() *Context {
	return &Context{DistinctID: "user-42", Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), PersonProperties: map[string]any{
		"email": "someone@partner.io", "plan": "free", "signup": "2024-03-05T10:00:00Z",
		"country": "US", "age": float64(30), "app_version": "2.3.1", "beta": "true",
	}}
}

// BenchmarkRichFlag: 3 conditions x 3 properties including a regex and dates; the third condition matches.
func BenchmarkRichFlag(b *testing.B) {
	e := compileOne(b, richFlag)
	c := richContext()
	if r := evalOne(b, e, "rich", c); r.Reason.Code != "condition_match" && r.Reason.Code != "out_of_rollout_bound" {
		b.Fatalf("unexpected %+v", r.Reason)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Evaluate("rich", c)
	}
}

func manyFlags(n int) []flag.Flag {
	var fs []flag.Flag
	for i := 0; i < n; i++ {
		var js string
		switch i % 3 {
		case 0:
			js = fmt.Sprintf(`{"id":%d,"key":"flag-%d","active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":%d}]}}`, i+1, i, i%100)
		case 1:
			js = fmt.Sprintf(`{"id":%d,"key":"flag-%d","active":true,"filters":{"groups":[{"properties":[{"key":"plan","type":"person","operator":"exact","value":["pro","enterprise"]}],"rollout_percentage":50},{"properties":[{"key":"email","type":"person","operator":"icontains","value":"@partner"}]}],"multivariate":{"variants":[{"key":"a","rollout_percentage":50},{"key":"b","rollout_percentage":50}]}}}`, i+1, i)
		default:
			js = fmt.Sprintf(`{"id":%d,"key":"flag-%d","active":true,"filters":{"groups":[{"properties":[{"key":"app_version","type":"person","operator":"semver_gte","value":"2.0.0"},{"key":"age","type":"person","operator":"gte","value":18}],"rollout_percentage":75}]}}`, i+1, i)
		}
		var f flag.Flag
		if err := jsonUnmarshal(js, &f); err != nil {
			panic(err)
		}
		fs = append(fs, f)
	}
	return fs
}

func benchmarkAll(b *testing.B, n int) {
	e := Compile(Definitions{Flags: manyFlags(n)})
	c := richContext()
	dst := make([]Result, 0, n)
	b.ReportAllocs()
	for b.Loop() {
		dst = e.EvaluateAll(c, dst[:0])
	}
}

func BenchmarkEvaluateAll50(b *testing.B)   { benchmarkAll(b, 50) }
func BenchmarkEvaluateAll1000(b *testing.B) { benchmarkAll(b, 1000) }

// mixedFlags are the flags of make bench's scenarios 2 and 3 (devkit/bench.MixedFlag): even flags are static
// rollouts, odd ones one condition (icontains, an exact list, gte, an anchored regex) and a rollout.
func mixedFlags(n int) []flag.Flag {
	conds := []string{
		`{"key":"email","type":"person","operator":"icontains","value":"@example.com"}`,
		`{"key":"plan","type":"person","operator":"exact","value":["pro","enterprise"]}`,
		`{"key":"age","type":"person","operator":"gte","value":30}`,
		`{"key":"country","type":"person","operator":"regex","value":"^(FR|DE|NL)$"}`,
	}
	fs := make([]flag.Flag, n)
	for i := range fs {
		js := fmt.Sprintf(`{"id":%d,"key":"mixed-%04d","active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":%d}]}}`, i+1, i, (i*7)%101)
		if i%2 == 1 {
			js = fmt.Sprintf(`{"id":%d,"key":"mixed-%04d","active":true,"filters":{"groups":[{"properties":[%s],"rollout_percentage":%d}]}}`, i+1, i, conds[(i/2)%4], 50+i%50)
		}
		if err := jsonUnmarshal(js, &fs[i]); err != nil {
			panic(err)
		}
	}
	return fs
}

// BenchmarkEvaluateAllMixed50 is scenario 2's engine work: 50 mixed flags for contexts as parsed from JSON
// (numbers as json.Number), cycling through users like the load generator.
func BenchmarkEvaluateAllMixed50(b *testing.B) {
	e := Compile(Definitions{Flags: mixedFlags(50)})
	ctxs := make([]*Context, 64)
	for i := range ctxs {
		domain := "example.com"
		if i%2 == 1 {
			domain = "mail.test"
		}
		ctxs[i] = &Context{DistinctID: fmt.Sprintf("user-%d", i), PersonProperties: map[string]any{
			"email": fmt.Sprintf("user-%d@%s", i, domain), "plan": []string{"free", "pro", "enterprise", "team"}[i%4],
			"age": json.Number(fmt.Sprint(18 + i%50)), "country": []string{"FR", "US", "DE", "JP", "NL"}[i%5]}}
	}
	dst := make([]Result, 0, 50)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst = e.EvaluateAll(ctxs[i%len(ctxs)], dst[:0])
		i++
	}
}
