package flag

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// PropertyGroup is a node of a property cohort's filter tree: an AND/OR group of further groups or of
// property filters. PostHog stores two levels ({"type":"OR","values":[{"type":"AND","values":[filters]}]});
// deeper nesting is accepted too. Type "property" behaves as AND.
type PropertyGroup struct {
	Type   string         `json:"type"`
	Values []PropertyNode `json:"values"`
}

// PropertyNode is either a nested group or a property filter.
type PropertyNode struct {
	Group  *PropertyGroup
	Filter *Property
}

// UnmarshalJSON decides by shape: an object with "values" is a group, anything else a filter.
func (n *PropertyNode) UnmarshalJSON(b []byte) error {
	var probe struct {
		Values json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	if probe.Values != nil {
		n.Group = new(PropertyGroup)
		return json.Unmarshal(b, n.Group)
	}
	n.Filter = new(Property)
	return json.Unmarshal(b, n.Filter)
}

// MarshalJSON writes whichever of the two the node holds.
func (n PropertyNode) MarshalJSON() ([]byte, error) {
	if n.Group != nil {
		return json.Marshal(n.Group)
	}
	return json.Marshal(n.Filter)
}

// PropertyTree parses a property cohort's filters. Both PostHog shapes are accepted: the database's
// {"properties": {"type": ..., "values": [...]}} and the local-evaluation payload's bare {"type", "values"}.
// A static cohort, or one without filters, has no tree (nil, nil).
func (c *Cohort) PropertyTree() (*PropertyGroup, error) {
	if c.IsStatic || len(bytes.TrimSpace(c.Filters)) == 0 || string(bytes.TrimSpace(c.Filters)) == "null" {
		return nil, nil
	}
	var wrapped struct {
		Properties *PropertyGroup `json:"properties"`
		PropertyGroup
	}
	if err := json.Unmarshal(c.Filters, &wrapped); err != nil {
		return nil, fmt.Errorf("cohort %d filters: %w", c.ID, err)
	}
	if wrapped.Properties != nil {
		return wrapped.Properties, nil
	}
	if wrapped.Type == "" && wrapped.Values == nil {
		return nil, nil
	}
	g := wrapped.PropertyGroup
	return &g, nil
}
