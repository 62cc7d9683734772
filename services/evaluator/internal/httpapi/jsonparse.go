package httpapi

import (
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON decodes a JSON document the way encoding/json decodes it into an `any` with UseNumber: objects
// as map[string]any, arrays as []any, numbers as json.Number with their text, strings unquoted (invalid
// UTF-8 and lone surrogates as U+FFFD), surrounded by optional whitespace and nothing else. It reports false
// for anything it does not take on: invalid JSON, a repeated key in an object (encoding/json merges a repeated
// struct field), nesting deeper than maxParseDepth. Callers then decode with encoding/json, which gives the
// exact answer and error; this is only the fast path for the bodies SDKs send, one pass and no reflection.
//
// The document is copied into one string, and unescaped strings and numbers are slices of it: one
// allocation for all of them (they live as long as the request's context does).
func parseJSON(data []byte) (any, bool) {
	p := parser{data: string(data)}
	p.space()
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.data)
}

const maxParseDepth = 200

type parser struct {
	data string
	i    int
}

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, bool) {
	if p.i >= len(p.data) || depth > maxParseDepth {
		return nil, false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.string()
		return s, ok
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	for _, lit := range [...]struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.data[p.i:], lit.text) {
			p.i += len(lit.text)
			return lit.v, true
		}
	}
	return nil, false
}

func (p *parser) object(depth int) (any, bool) {
	p.i++ // {
	m := map[string]any{}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, false
		}
		k, ok := p.string()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.space()
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		if _, dup := m[k]; dup {
			return nil, false
		}
		m[k] = v
		p.space()
		if p.i >= len(p.data) {
			return nil, false
		}
		switch p.data[p.i] {
		case ',':
			p.i++
			p.space()
		case '}':
			p.i++
			return m, true
		default:
			return nil, false
		}
	}
}

func (p *parser) array(depth int) (any, bool) {
	p.i++ // [
	a := []any{}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		p.space()
		if p.i >= len(p.data) {
			return nil, false
		}
		switch p.data[p.i] {
		case ',':
			p.i++
			p.space()
		case ']':
			p.i++
			return a, true
		default:
			return nil, false
		}
	}
}

// number takes -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and keeps its text.
func (p *parser) number() (any, bool) {
	d, start := p.data, p.i
	i := p.i
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		i = digits(d, i)
	default:
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		if j := digits(d, i+1); j > i+1 {
			i = j
		} else {
			return nil, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if j := digits(d, i); j > i {
			i = j
		} else {
			return nil, false
		}
	}
	p.i = i
	return json.Number(d[start:i]), true
}

func digits(d string, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// string reads a quoted string at p.i, unquoting it as encoding/json does.
func (p *parser) string() (string, bool) {
	d := p.data
	start := p.i + 1
	// the common case: printable ASCII, no escapes
	for i := start; i < len(d); i++ {
		c := d[i]
		if c == '"' {
			p.i = i + 1
			return d[start:i], true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return p.slowString(start)
		}
	}
	return "", false
}

func (p *parser) slowString(start int) (string, bool) {
	d := p.data
	b := make([]byte, 0, 32)
	for i := start; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			p.i = i + 1
			return string(b), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if i+1 >= len(d) {
				return "", false
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(d, i+2)
				if !ok {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// a pair when a valid low surrogate escape follows; else U+FFFD for this one alone
					if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
						if r2, ok := hex4(d, i+2); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								b = utf8.AppendRune(b, dec)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(d[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, d[i:i+size]...)
			}
			i += size
		}
	}
	return "", false
}

func hex4(d string, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// flagsRequestOf is parseJSON's document as a flagsRequest, when it is exactly what decoding into the struct
// with encoding/json gives: an object whose members name fields exactly (encoding/json also matches names
// case-insensitively) with values of the fields' types or null. Otherwise false, and the caller decodes with
// encoding/json.
func flagsRequestOf(doc any) (*flagsRequest, bool) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, false
	}
	r := &flagsRequest{}
	for k, v := range m {
		var ok bool
		switch k {
		case "token":
			ok = setString(&r.Token, v)
		case "$token":
			ok = setString(&r.DollarToken, v)
		case "api_key":
			ok = setString(&r.APIKey, v)
		case "distinct_id":
			r.DistinctID, ok = v, true
		case "$anon_distinct_id":
			r.AnonDistinctID, ok = v, true
		case "$device_id":
			r.DeviceID, ok = v, true
		case "device_id":
			r.DeviceIDPlain, ok = v, true
		case "person_properties":
			r.PersonProperties, ok = objectOrNull(v)
		case "groups":
			r.Groups, ok = objectOrNull(v)
		case "group_properties":
			r.GroupProperties, ok = objectsOrNull(v)
		case "flag_keys":
			r.FlagKeys, ok = stringsOrNull(v)
		case "flag_keys_to_evaluate":
			r.FlagKeysToEvaluate, ok = stringsOrNull(v)
		case "evaluation_contexts":
			r.EvaluationContexts, ok = stringsOrNull(v)
		case "evaluation_environments":
			r.EvaluationEnvironments, ok = stringsOrNull(v)
		case "evaluation_runtime":
			r.EvaluationRuntime, ok = stringPtrOrNull(v)
		default:
			ok = !foldsToField(k)
		}
		if !ok {
			return nil, false
		}
	}
	return r, true
}

var flagsRequestFields = []string{"token", "$token", "api_key", "distinct_id", "$anon_distinct_id", "$device_id",
	"device_id", "person_properties", "groups", "group_properties", "flag_keys", "flag_keys_to_evaluate",
	"evaluation_contexts", "evaluation_environments", "evaluation_runtime"}

// foldsToField: encoding/json would match this unknown name to a field case-insensitively.
func foldsToField(k string) bool {
	for _, f := range flagsRequestFields {
		if strings.EqualFold(k, f) {
			return true
		}
	}
	return false
}

func setString(dst *string, v any) bool {
	switch s := v.(type) {
	case string:
		*dst = s
		return true
	case nil:
		return true
	}
	return false
}

func stringPtrOrNull(v any) (*string, bool) {
	switch s := v.(type) {
	case string:
		return &s, true
	case nil:
		return nil, true
	}
	return nil, false
}

func objectOrNull(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case nil:
		return nil, true
	}
	return nil, false
}

func objectsOrNull(v any) (map[string]map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		out := make(map[string]map[string]any, len(m))
		for k, e := range m {
			inner, ok := objectOrNull(e)
			if !ok {
				return nil, false
			}
			out[k] = inner
		}
		return out, true
	case nil:
		return nil, true
	}
	return nil, false
}

func stringsOrNull(v any) ([]string, bool) {
	switch a := v.(type) {
	case []any:
		out := make([]string, len(a))
		for i, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	case nil:
		return nil, true
	}
	return nil, false
}
