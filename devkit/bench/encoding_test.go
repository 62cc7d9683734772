package bench

import (
	"encoding/json"
	"testing"

	"github.com/halyard-flags/halyard/shared/eval"
)

func TestAppendV2MatchesEncodingJSON(t *testing.T) {
	results := []eval.Result{
		{Key: "a<b>&\"q\"\\\n\u2028é", FlagID: 1, Version: 2, Enabled: true, Variant: "v", Payload: json.RawMessage(`{"x":1}`),
			Reason: eval.Reason{Code: "condition_match", ConditionIndex: 0, Description: "Matched condition set 1"}},
		{Key: "b", FlagID: 3, Version: 4, Reason: eval.Reason{Code: "no_condition_match", ConditionIndex: -1}},
	}
	want, err := encodeReflect(results)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendV2(nil, results); string(got) != string(want) {
		t.Errorf("appendV2 =\n%s\nwant\n%s", got, want)
	}
}
