package flag

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
)

// A filter value keeps every JSON number as its text (json.Number), from the admin API's JSON through
// storage, the snapshot and the engine back out to SDKs: float64 would print 5.0 as 5 and round
// 12345678901234567890, which PostHog's flag service (serde_json) keeps as written. The engine parses the
// text once at compile time: string operators see it as serde_json prints it, numeric operators as f64.

// propertyFields is Property without its methods, so the codecs do not recurse.
type propertyFields Property

// UnmarshalJSON decodes a filter with the numbers in its value as json.Number. A number float64 cannot hold
// (1e400) is refused, as encoding/json refused it when values were float64 and as serde_json refuses it.
func (p *Property) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v propertyFields
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if n, bad := outOfRange(v.Value); bad {
		return &json.UnmarshalTypeError{Value: "number " + string(n), Type: reflect.TypeFor[float64](), Field: "value"}
	}
	*p = Property(v)
	return nil
}

// decodeValue parses one JSON value the way UnmarshalJSON decodes Property.Value.
func decodeValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if n, bad := outOfRange(v); bad {
		return nil, &json.UnmarshalTypeError{Value: "number " + string(n), Type: reflect.TypeFor[float64]()}
	}
	return v, nil
}

// outOfRange finds a number in v that overflows float64.
func outOfRange(v any) (json.Number, bool) {
	switch x := v.(type) {
	case json.Number:
		_, err := strconv.ParseFloat(string(x), 64)
		return x, err != nil
	case []any:
		for _, e := range x {
			if n, bad := outOfRange(e); bad {
				return n, true
			}
		}
	case map[string]any:
		for _, e := range x {
			if n, bad := outOfRange(e); bad {
				return n, true
			}
		}
	}
	return "", false
}
