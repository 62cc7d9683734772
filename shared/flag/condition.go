package flag

import "encoding/json"

// PersonAggregation reports whether the condition explicitly aggregates by person: PostHog distinguishes a
// condition's "aggregation_group_type_index": null (person, even on a group flag) from the field being absent
// (inherit the flag-level aggregation), so Condition keeps that distinction in AggregationExplicit.
func (c *Condition) EffectiveAggregation(flagLevel *int) *int {
	if c.AggregationGroupTypeIndex != nil || c.AggregationExplicit {
		return c.AggregationGroupTypeIndex
	}
	return flagLevel
}

// conditionJSON is Condition without methods, so the codec below does not recurse.
type conditionJSON Condition

// UnmarshalJSON records whether aggregation_group_type_index was present, even as null.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var probe struct {
		Agg json.RawMessage `json:"aggregation_group_type_index"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	var v conditionJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Condition(v)
	c.AggregationExplicit = probe.Agg != nil
	return nil
}

// MarshalJSON writes an explicit null aggregation back, so the writer's JSONB round trip keeps it.
func (c Condition) MarshalJSON() ([]byte, error) {
	type withNull struct {
		conditionJSON
		Agg *int `json:"aggregation_group_type_index"`
	}
	if c.AggregationExplicit && c.AggregationGroupTypeIndex == nil {
		return json.Marshal(withNull{conditionJSON: conditionJSON(c)})
	}
	return json.Marshal(conditionJSON(c))
}
