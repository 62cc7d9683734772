package eval

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// This file reproduces serde_json's view of a value, which PostHog's matching is written against:
// to_string_representation (strings as-is, everything else as compact JSON) and to_f64_representation.
// Values arrive as whatever JSON or msgpack decoding produced, so every Go numeric type is accepted.

// appendRepr appends the string representation of v to buf; ok is false for a plain string, which the
// caller uses directly to avoid copying.
func appendRepr(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		return strconv.AppendBool(buf, x)
	case string:
		return append(buf, x...)
	case json.Number:
		return appendNumber(buf, string(x))
	case float64:
		return appendFloat(buf, x)
	case float32:
		return appendFloat(buf, float64(x))
	case int:
		return strconv.AppendInt(buf, int64(x), 10)
	case int8:
		return strconv.AppendInt(buf, int64(x), 10)
	case int16:
		return strconv.AppendInt(buf, int64(x), 10)
	case int32:
		return strconv.AppendInt(buf, int64(x), 10)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case uint:
		return strconv.AppendUint(buf, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(buf, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(buf, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(buf, x, 10)
	default:
		return append(buf, jsonString(v)...)
	}
}

// appendFloat writes a float the way serde_json prints a JSON number. Definitions keep numbers as
// json.Number; a float64 comes from definitions built in Go or from snapshots written before that, which
// decoded every JSON number to float64, so an integral value is printed as the integer it most likely was
// ("42", not "42.0").
func appendFloat(buf []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(buf, "null"...) // serde_json has no NaN/Inf; it serializes them as null
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e19 {
		if f < 0 {
			return strconv.AppendInt(buf, int64(f), 10)
		}
		return strconv.AppendUint(buf, uint64(f), 10)
	}
	exp := math.Abs(f)
	if exp >= 1e-5 && exp < 1e16 {
		return strconv.AppendFloat(buf, f, 'f', -1, 64)
	}
	return appendSci(buf, f)
}

// appendSci is ryu's scientific form: "1e-7", "1.5e20" (no '+', no zero padding).
func appendSci(buf []byte, f float64) []byte {
	b := strconv.AppendFloat(buf, f, 'e', -1, 64)
	i := bytes.IndexByte(b[len(buf):], 'e') + len(buf)
	tail := b[i+1:]
	sign := ""
	if tail[0] == '-' {
		sign = "-"
	}
	digits := strings.TrimLeft(string(tail[1:]), "0")
	return append(append(b[:i+1], sign...), digits...)
}

// appendNumber writes a JSON number's text the way serde_json re-prints it after parsing (PostHog's
// to_string_representation): an integer literal that fits i64 or u64 stays as written, anything else is
// an f64 printed by ryu ("1.50" -> "1.5", "1e+16" -> "1e16", "3.0" stays "3.0", "1E2" -> "100.0"). "-0"
// is an f64 too: serde_json's parse_number turns it into -0.0 ("-0.0").
func appendNumber(buf []byte, s string) []byte {
	integer := s != "" && s != "-0"
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && !(i == 0 && c == '-') {
			integer = false
			break
		}
	}
	if integer && s != "-" {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return append(buf, s...)
		}
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return append(buf, s...)
		}
	}
	f, ok := parseRustFloat(s)
	if !ok {
		return append(buf, s...) // not a number at all: keep the text
	}
	return appendRyu(buf, f)
}

// appendRyu is ryu's format64 as serde_json uses it for f64: decimal notation with at least one
// fractional digit for 1e-5 <= |f| < 1e16, scientific ("1e16", "1.5e-7") outside it.
func appendRyu(buf []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(buf, "null"...)
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-5 && a < 1e16) {
		start := len(buf)
		buf = strconv.AppendFloat(buf, f, 'f', -1, 64)
		if bytes.IndexByte(buf[start:], '.') < 0 {
			buf = append(buf, ".0"...)
		}
		return buf
	}
	return appendSci(buf, f)
}

// jsonString writes lists and objects as compact JSON, keys sorted like serde_json's default map. It
// does not take the caller's buffer, so that buffer can stay on the stack.
func jsonString(v any) string {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalizeJSON(v)); err != nil {
		return "null"
	}
	return string(bytes.TrimRight(out.Bytes(), "\n"))
}

// normalizeJSON turns msgpack-decoded maps with non-string keys into JSON-encodable ones.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeJSON(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[string(appendRepr(nil, k))] = normalizeJSON(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeJSON(e)
		}
		return out
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e19 {
			return json.Number(appendFloat(nil, x))
		}
	case json.Number:
		return json.Number(appendNumber(nil, string(x)))
	}
	return v
}

// reprString returns the representation of v, using scratch for non-strings. The result may alias
// scratch and must not outlive it.
func reprString(v any, scratch []byte) string {
	if s, ok := v.(string); ok {
		return s
	}
	b := appendRepr(scratch[:0], v)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) // #nosec G103 -- b is never written again (see above)
}

// toFloat is to_f64_representation: JSON numbers as themselves, everything else parsed from its string
// representation with Rust's f64 grammar.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		return parseRustFloat(string(x))
	case string:
		return parseRustFloat(x)
	}
	return 0, false // bool, null, lists and objects never parse as numbers
}

// parseRustFloat follows Rust's str::parse::<f64>: decimal and exponent forms, inf/infinity/nan in any
// case, an optional sign; no hex, no underscores, no surrounding spaces. Out-of-range values saturate.
func parseRustFloat(s string) (float64, bool) {
	if !looksNumeric(s) {
		return 0, false // checked first: a failing ParseFloat allocates its error
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// equalLower is Rust's str::to_lowercase for the exact operators.
func equalLower(a, b string) bool {
	if isASCII(a) && isASCII(b) {
		return equalASCIIFold(a, b)
	}
	// Not EqualFold: that is Unicode case folding (K == Kelvin sign); PostHog compares to_lowercase() forms.
	return rustLower(a) == rustLower(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalASCIIFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// toLowerASCII is Rust's to_ascii_lowercase, used by the contains/starts/ends operators.
func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII(b[j])
			}
			return string(b)
		}
	}
	return s
}

// hasPrefixFold reports whether lower(h) starts with needle, needle already ASCII-lowercased.
func hasPrefixFold(h, needle string) bool {
	if len(needle) > len(h) {
		return false
	}
	for i := 0; i < len(needle); i++ {
		if lowerASCII(h[i]) != needle[i] {
			return false
		}
	}
	return true
}

func hasSuffixFold(h, needle string) bool {
	if len(needle) > len(h) {
		return false
	}
	return hasPrefixFold(h[len(h)-len(needle):], needle)
}

func containsFold(h, needle string) bool {
	if needle == "" {
		return true
	}
	for i := 0; i+len(needle) <= len(h); i++ {
		if lowerASCII(h[i]) == needle[0] && hasPrefixFold(h[i:], needle) {
			return true
		}
	}
	return false
}

// looksNumeric accepts what Rust's f64 grammar can accept: digits, sign, '.', exponent, inf/nan words.
func looksNumeric(s string) bool {
	if s == "" {
		return false
	}
	t := s
	if t[0] == '+' || t[0] == '-' {
		t = t[1:]
	}
	if equalASCIIFold(t, "inf") || equalASCIIFold(t, "infinity") || equalASCIIFold(t, "nan") {
		return true
	}
	digits := false
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
		default:
			return false
		}
	}
	return digits
}

// SerdeNumber returns the text serde_json prints for the JSON number s, which is what PostHog hashes for
// a numeric group key (hashed_identifier: Value::Number(n) => n.to_string()) and what its string operators
// see: "42" stays "42", "42.0" stays "42.0", "1e3" becomes "1000.0".
func SerdeNumber(s string) string { return string(appendNumber(nil, s)) }
