package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/badinput"
)

// The fuzz targets of every decoder of the admin API: the JSON of flags, cohorts, imports and tokens, cohort
// members as JSON or CSV, merge patches, the nesting check and If-Match. Each decodes what it is given the
// way its handler does and then validates it as the handler would: whatever the input, the outcome is a value
// or a client error (4xx), never a panic or an internal error. `make test` runs the seeds; `make fuzz` runs
// each for a while.

// seedBodies are the seeds every JSON target starts from: the bad-input corpus's smaller bodies and a
// valid document of each kind.
func seedBodies(f *testing.F, valid ...string) {
	f.Helper()
	for _, in := range badinput.Corpus(MaxBodyBytes) {
		if len(in.Body) < 4096 {
			f.Add(in.Body)
		}
	}
	for _, v := range valid {
		f.Add([]byte(v))
	}
}

// clientError fails unless err is nil or a client error.
func clientError(tb testing.TB, what string, input []byte, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if status := statusOf(apperr.KindOf(err)); status < 400 || status >= 500 {
		tb.Fatalf("%s(%q): %v is a %d, want a 4xx", what, input, err, status)
	}
}

func FuzzFlagDocument(f *testing.F) {
	seedBodies(f, `{"key":"beta","active":true,"filters":{"groups":[{"properties":[{"key":"email","operator":"regex","value":"@x\\.com$","type":"person"}],"rollout_percentage":50}],"multivariate":{"variants":[{"key":"a","rollout_percentage":100}]}}}`,
		`{"key":"d","filters":{"groups":[{"properties":[{"key":"signup","operator":"is_date_before","value":"-30d","type":"person"}]}]}}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		var doc flagDocument
		err := decodeStrict(body, &doc)
		if err == nil {
			spec := doc.toSpec()
			err = admin.ValidateFlag(&spec)
		}
		clientError(t, "flag", body, err)
	})
}

func FuzzCohortDocument(f *testing.F) {
	seedBodies(f, `{"name":"beta","is_static":true,"members":["u1","u2"]}`,
		`{"name":"nl","filters":{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"country","type":"person","operator":"exact","value":["NL"]}]}]}}}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		var doc cohortDocument
		err := decodeStrict(body, &doc)
		if err == nil {
			err = admin.ValidateCohort(doc.spec(), doc.Members)
		}
		clientError(t, "cohort", body, err)
	})
}

func FuzzImport(f *testing.F) {
	seedBodies(f, `{"format":"halyard-export/v1","flags":[{"key":"a","active":true,"filters":{"groups":[{"rollout_percentage":100}]}}],"cohorts":[]}`,
		`{"flags":[{"key":"a","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":7}]}]}}],"group_type_mapping":{"0":"company"},"cohorts":{"7":{"type":"OR","values":[]}}}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := parseImport(body)
		if err == nil {
			err = admin.ValidateImport(doc)
		}
		clientError(t, "import", body, err)
	})
}

func FuzzTokenRequest(f *testing.F) {
	seedBodies(f, `{"name":"ci","scopes":["read","write"],"expires_at":"2030-01-01T00:00:00Z"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		var in tokenRequest
		err := decodeStrict(body, &in)
		if err == nil {
			_, err = admin.TokenRequest{Name: in.Name, Scopes: in.Scopes, ExpiresAt: in.ExpiresAt}.Validate(time.Unix(1_800_000_000, 0))
		}
		clientError(t, "token", body, err)
	})
}

func FuzzMembers(f *testing.F) {
	for _, seed := range []string{"distinct_id\nu1\nu2\n", `"a,b",c` + "\n\"x\"y\n", "id;x\r\n\xff\xfe\n", `["u1","u2"]`, `{"members":["u1"]}`} {
		for _, ct := range []string{"text/csv", "application/json", "", "text/plain"} {
			f.Add(ct, []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		members, err := parseMembers(contentType, body)
		if err == nil {
			err = admin.ValidateMembers(members)
		}
		clientError(t, "members", body, err)
	})
}

// FuzzMergePatch: a patch that applies gives a JSON object, and applying it again changes nothing (RFC 7396
// patches are idempotent).
func FuzzMergePatch(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"c":[1,2]}}`), []byte(`{"b":{"c":null,"d":true},"e":"x"}`))
	f.Add([]byte(`{"a":1}`), []byte(`null`))
	f.Add([]byte(`{}`), []byte(`[1]`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		once, err := mergePatch(doc, patch)
		if err != nil {
			return
		}
		var v any
		if err := json.Unmarshal(once, &v); err != nil {
			t.Fatalf("merged %s is not JSON: %v", once, err)
		}
		if _, ok := v.(map[string]any); !ok {
			t.Fatalf("merged %s is not an object", once)
		}
		twice, err := mergePatch(once, patch)
		if err != nil {
			t.Fatalf("the patch applied once but not twice: %v", err)
		}
		var a, b any
		_ = json.Unmarshal(once, &a)
		_ = json.Unmarshal(twice, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("applying %s twice gave %s, once %s", patch, twice, once)
		}
	})
}

// FuzzJSONDepth: on valid JSON, the nesting check measures what decoding finds.
func FuzzJSONDepth(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"]}"}]}`, `"\"[["`, `[[[]]]`, `{"\\":{}}`, `1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v any
		if json.Unmarshal(body, &v) != nil {
			jsonDepth(body) // must not panic on anything
			return
		}
		if got, want := jsonDepth(body), depthOf(v); got != want {
			t.Fatalf("jsonDepth(%s) = %d, want %d", body, got, want)
		}
	})
}

func depthOf(v any) int {
	deepest := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			deepest = max(deepest, depthOf(e))
		}
		return deepest + 1
	case []any:
		for _, e := range x {
			deepest = max(deepest, depthOf(e))
		}
		return deepest + 1
	}
	return 0
}

// FuzzEntityTags: every tag If-Match yields is a piece of the header, without the separators.
func FuzzEntityTags(f *testing.F) {
	for _, s := range []string{`"5"`, `W/"5", "6"`, `*`, `"unterminated`, ` , ,"a b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, tag := range entityTags(header) {
			if tag == "" || !strings.Contains(header, tag) {
				t.Fatalf("entityTags(%q) yielded %q", header, tag)
			}
		}
	})
}
