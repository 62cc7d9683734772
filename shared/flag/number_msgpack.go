package flag

import (
	"encoding/json"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// propertyWire is a filter's msgpack form. Value keeps the form snapshots always had, numbers as float64, so
// an evaluator built before exact numbers reads a new snapshot as it read the old ones (it skips the key it
// does not know). ValueJSON is the value's exact JSON text, written only when the value holds a number;
// decoders that know it take the value from it.
type propertyWire struct {
	propertyFields `msgpack:",inline"`
	ValueJSON      string `msgpack:"value_json,omitempty"`
}

// propertyWireIn is propertyWire as it is decoded. Its value is read by wireValue, declared first so that it
// shadows the embedded one: msgpack's reflection decodes a repeated key of an `any` field into the value
// already there, and panics (FuzzDecode found it; a snapshot is input from the network).
type propertyWireIn struct {
	Value          wireValue `msgpack:"value"`
	propertyFields `msgpack:",inline"`
	ValueJSON      string `msgpack:"value_json"`
}

// wireValue decodes a value afresh each time its key appears.
type wireValue struct{ v any }

func (w *wireValue) DecodeMsgpack(dec *msgpack.Decoder) (err error) {
	w.v, err = dec.DecodeInterface()
	return err
}

// EncodeMsgpack writes the filter, and its value's JSON text when the value holds a json.Number.
func (p Property) EncodeMsgpack(enc *msgpack.Encoder) error {
	w := propertyWire{propertyFields: propertyFields(p)}
	if hasNumber(p.Value) {
		b, err := json.Marshal(p.Value)
		if err != nil {
			return fmt.Errorf("property %q value: %w", p.Key, err)
		}
		w.ValueJSON, w.Value = string(b), floats(p.Value)
	}
	return enc.Encode(&w)
}

// DecodeMsgpack reads the filter; a snapshot without value_json (numbers as float64) decodes as it always did.
func (p *Property) DecodeMsgpack(dec *msgpack.Decoder) error {
	var w propertyWireIn
	if err := dec.Decode(&w); err != nil {
		return err
	}
	*p = Property(w.propertyFields)
	p.Value = w.Value.v
	if w.ValueJSON == "" {
		return nil
	}
	v, err := decodeValue([]byte(w.ValueJSON))
	if err != nil {
		return fmt.Errorf("property %q value_json: %w", p.Key, err)
	}
	p.Value = v
	return nil
}

func hasNumber(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return true
	case []any:
		for _, e := range x {
			if hasNumber(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasNumber(e) {
				return true
			}
		}
	}
	return false
}

// floats is v with every json.Number as the float64 encoding/json would have decoded it to.
func floats(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = floats(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = floats(e)
		}
		return out
	}
	return v
}
