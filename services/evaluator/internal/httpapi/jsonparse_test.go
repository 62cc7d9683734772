package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseSeeds are documents SDKs send and the corners of encoding/json's decoding.
var parseSeeds = []string{
	`{"token":"phc_x","distinct_id":"u1","person_properties":{"email":"a@b.c","age":30,"n":-1.5e+3,"l":[1,"x",null,true]}}`,
	`{"token":"t","distinct_id":42.0,"groups":{"company":7},"group_properties":{"company":{"plan":"p"},"team":null}}`,
	`{"context":{"targetingKey":"user-1","email":"ada@example.com","groups":{"g":"k"},"deviceId":"d"}}`,
	`{"context":{"targetingKey":"u","a":"\u00e9\ud83d\ude80\ud800\udc00\ud800x\udc00\u0000\"\\\/\b\f\n\r\t"}}`,
	"{\"context\":{\"targetingKey\":\"u\",\"bad\":\"\xff\xfe\xed\xa0\x80 ok \u2028\"}}",
	`{"Token":"case","distinct_id":"u"}`, `{"CONTEXT":{"targetingKey":"u"}}`, "{\"to\u212Aen\":\"kelvin\",\"distinct_id\":\"u\"}",
	`{"token":"a","token":"b","distinct_id":"u"}`, `{"context":{"targetingKey":"a","targetingKey":"b"}}`,
	`{"token":1,"distinct_id":"u"}`, `{"flag_keys_to_evaluate":["a",null],"token":"t"}`, `{"flag_keys_to_evaluate":[],"token":"t"}`,
	`{"group_properties":{"c":"x"}}`, `{"person_properties":[]}`, `  {"context" : { "targetingKey" : "u" } }  `,
	`{"context":null}`, `{"context":"x"}`, `{"context":[1]}`, `{}`, `[]`, `null`, `"s"`, `0`, `-0.0e-0`, ``, ` `,
	`{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":.5}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}",
	`{"a":1,}`, `{"a" 1}`, `{"a":1}x`, `{"a":1} {}`, `[1,]`, `{,}`, `{"a":[1 2]}`, "\ufeff{}", `{"a":NaN}`,
	strings.Repeat("[", 300) + strings.Repeat("]", 300), `{"n":123456789012345678901234567890,"f":1E400}`,
}

// checkParse: whatever parseJSON (and the request conversions over it) accept, encoding/json decodes to the
// same value.
func checkParse(t *testing.T, data []byte) {
	doc, ok := parseJSON(data)
	if !ok {
		return
	}
	var want any
	if err := unmarshalNumbers(data, &want); err != nil {
		t.Fatalf("parseJSON accepted %q, encoding/json did not: %v", data, err)
	}
	if d := cmp.Diff(want, doc); d != "" {
		t.Fatalf("parseJSON(%q) mismatch (-encoding/json +parseJSON):\n%s", data, d)
	}
	if fr, ok := flagsRequestOf(doc); ok {
		var want flagsRequest
		if err := unmarshalNumbers(data, &want); err != nil {
			t.Fatalf("flagsRequestOf accepted %q, encoding/json did not: %v", data, err)
		}
		if d := cmp.Diff(&want, fr, cmp.AllowUnexported(flagsRequest{})); d != "" {
			t.Fatalf("flagsRequestOf(%q) mismatch (-encoding/json +fast):\n%s", data, d)
		}
	}
	got, gotErr := ofrepAttrs(data)
	want2, wantErr := ofrepAttrsDecoded(data)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("ofrepAttrs(%q) error %v, encoding/json %v", data, gotErr, wantErr)
	}
	if d := cmp.Diff(want2, got); d != "" {
		t.Fatalf("ofrepAttrs(%q) mismatch (-encoding/json +fast):\n%s", data, d)
	}
}

func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range parseSeeds {
		checkParse(t, []byte(s))
	}
	accepted := 0
	rng := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		doc := randDoc(rng, 0)
		data, _ := json.Marshal(doc)
		if rng.IntN(4) == 0 { // mangle a byte: most become invalid, some stay valid with another meaning
			data[rng.IntN(len(data))] = "{}[],:\"\\ 0-eE.tn\xff"[rng.IntN(17)]
		}
		if _, ok := parseJSON(data); ok {
			accepted++
		}
		checkParse(t, data)
	}
	if accepted < 15000 {
		t.Errorf("parseJSON took only %d of 20000 mostly valid documents", accepted)
	}
	// the bodies SDKs send must take the fast path
	for _, s := range parseSeeds[:5] {
		if _, ok := parseJSON([]byte(s)); !ok {
			t.Errorf("parseJSON refused %s", s)
		}
	}
}

func randDoc(rng *rand.Rand, depth int) any {
	k := rng.IntN(9)
	if depth > 3 {
		k = 2 + rng.IntN(4)
	}
	switch k {
	case 0, 1:
		m := map[string]any{}
		keys := append([]string{}, flagsRequestFields...)
		keys = append(keys, "context", "targetingKey", "groups", "groupProperties", "deviceId")
		for range rng.IntN(6) {
			if rng.IntN(2) == 0 {
				m[keys[rng.IntN(len(keys))]] = randDoc(rng, depth+1)
			} else {
				m[randString(rng)] = randDoc(rng, depth+1)
			}
		}
		return m
	case 2:
		return randString(rng)
	case 3:
		return json.Number([]string{"0", "-1", "42.0", "1e3", "-0.5E-7", "123456789012345678901"}[rng.IntN(6)])
	case 4:
		return []any{nil, true, false}[rng.IntN(3)]
	case 5:
		return rng.Float64() * 1e6
	}
	var a []any
	for range rng.IntN(4) {
		a = append(a, randDoc(rng, depth+1))
	}
	return a
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, bytes.Clone(data)) })
}
