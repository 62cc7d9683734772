package bench

import (
	"encoding/json"
	"fmt"

	"github.com/halyard-flags/halyard/shared/flag"
)

// TargetedFlag is scenario 1's flag: a condition on email plus a 50% rollout.
func TargetedFlag(key string) map[string]any {
	return map[string]any{"key": key, "name": "targeted " + key, "filters": map[string]any{"groups": []any{
		map[string]any{"properties": []any{map[string]any{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}},
			"rollout_percentage": 50},
	}}}
}

// StaticFlag is a flag with no condition: a plain percentage rollout.
func StaticFlag(key string, pct int) map[string]any {
	return map[string]any{"key": key, "name": "static " + key, "filters": map[string]any{"groups": []any{
		map[string]any{"properties": []any{}, "rollout_percentage": pct},
	}}}
}

// MixedFlag is flag i of a mixed environment: even flags are static rollouts, odd ones are targeted with one
// of four condition kinds (a substring, an exact list, a number, a regex) and a rollout.
func MixedFlag(prefix string, i int) map[string]any {
	key := fmt.Sprintf("%s-%04d", prefix, i)
	if i%2 == 0 {
		return StaticFlag(key, (i*7)%101)
	}
	var prop map[string]any
	switch (i / 2) % 4 {
	case 0:
		prop = map[string]any{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}
	case 1:
		prop = map[string]any{"key": "plan", "type": "person", "operator": "exact", "value": []any{"pro", "enterprise"}}
	case 2:
		prop = map[string]any{"key": "age", "type": "person", "operator": "gte", "value": 30}
	default:
		prop = map[string]any{"key": "country", "type": "person", "operator": "regex", "value": "^(FR|DE|NL)$"}
	}
	return map[string]any{"key": key, "name": "targeted " + key, "filters": map[string]any{"groups": []any{
		map[string]any{"properties": []any{prop}, "rollout_percentage": 50 + i%50},
	}}}
}

// MixedFlags returns n flags of a mixed environment.
func MixedFlags(prefix string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = MixedFlag(prefix, i)
	}
	return out
}

// DomainFlags converts admin-API flag documents to the domain model (for snapshots built in process),
// numbering them from firstID.
func DomainFlags(docs []map[string]any, firstID int64) ([]flag.Flag, error) {
	out := make([]flag.Flag, len(docs))
	for i, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		var f flag.Flag
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("flag %v: %w", d["key"], err)
		}
		f.ID, f.Version, f.Active = firstID+int64(i), 1, true
		out[i] = f
	}
	return out, nil
}

// users is how many distinct users the request bodies cycle through.
const users = 1000

func person(i int) map[string]any {
	domain := "example.com"
	if i%2 == 1 {
		domain = "mail.test"
	}
	return map[string]any{
		"email":   fmt.Sprintf("user-%d@%s", i, domain),
		"plan":    []string{"free", "pro", "enterprise", "team"}[i%4],
		"age":     18 + i%50,
		"country": []string{"FR", "US", "DE", "JP", "NL"}[i%5],
	}
}

// OFREPSingleBodies are scenario 1's contexts: {targetingKey, email}.
func OFREPSingleBodies() [][]byte {
	return bodies(func(i int) any {
		return map[string]any{"context": map[string]any{"targetingKey": fmt.Sprintf("user-%d", i), "email": person(i)["email"]}}
	})
}

// OFREPBulkBodies are contexts with every property the mixed flags look at.
func OFREPBulkBodies() [][]byte {
	return bodies(func(i int) any {
		c := person(i)
		c["targetingKey"] = fmt.Sprintf("user-%d", i)
		return map[string]any{"context": c}
	})
}

// FlagsBodies are PostHog /flags?v=2 requests for the environment of sdkKey.
func FlagsBodies(sdkKey string) [][]byte {
	return bodies(func(i int) any {
		return map[string]any{"token": sdkKey, "distinct_id": fmt.Sprintf("user-%d", i), "person_properties": person(i)}
	})
}

func bodies(f func(int) any) [][]byte {
	out := make([][]byte, users)
	for i := range out {
		out[i], _ = json.Marshal(f(i))
	}
	return out
}
