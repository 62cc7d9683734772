package httpapi

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
)

// decodeStrict reads one JSON value into v, refusing unknown fields and trailing data.
func decodeStrict(body []byte, v any) error { return decodeStrictly(body, v, false) }

// decodeStrictNumbers is decodeStrict keeping the numbers of untyped values (properties) as json.Number,
// with their text, as the evaluators decode a /flags request.
func decodeStrictNumbers(body []byte, v any) error { return decodeStrictly(body, v, true) }

func decodeStrictly(body []byte, v any, useNumber bool) error {
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		// encoding/json leaves v as it was: a PUT of null would store an empty resource.
		return badJSON(errors.New("the body is null; send a JSON object"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if useNumber {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return apperr.New(apperr.BadRequest, "unknown_field", "unknown field %s", field)
		}
		return badJSON(err)
	}
	if dec.More() {
		return badJSON(errors.New("trailing data after the JSON value"))
	}
	return nil
}

// badJSON is the 400 for a body that does not decode. Its message names the JSON field and the JSON type
// expected there (e.g. "filters.groups.rollout_percentage: expected a number"), never Go's types.
func badJSON(err error) error {
	path, msg := jsonProblem(err)
	e := apperr.New(apperr.BadRequest, "invalid_json", "the body is not valid JSON for this resource: %s", msg)
	if path != "" {
		e.Message = "the body is not valid JSON for this resource: " + path + ": " + msg
		e.Details = []flag.Problem{{Path: path, Message: msg}}
	}
	return e
}

// jsonProblem turns a decoding error into a field path (empty for the body itself) and a message.
func jsonProblem(err error) (path, msg string) {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
		fieldErr  *flag.FieldError
	)
	switch {
	case errors.As(err, &typeErr):
		return typeErr.Field, "expected " + jsonTypeName(typeErr.Type) + ", got " + article(typeErr.Value)
	case errors.As(err, &syntaxErr):
		return "", fmt.Sprintf("invalid JSON at byte %d: %s", syntaxErr.Offset, syntaxMessage(syntaxErr))
	case errors.As(err, &fieldErr):
		return fieldErr.Path, fieldErr.Message
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", "the body ends before its JSON value does"
	case errors.Is(err, io.EOF):
		return "", "the body is empty"
	}
	// Other errors come from this package (trailing data) or from a type's UnmarshalJSON; keep what follows
	// the last "json: " and drop anything that would show Go's types.
	msg = err.Error()
	if i := strings.LastIndex(msg, "json: "); i >= 0 {
		msg = msg[i+len("json: "):]
	}
	if strings.Contains(msg, "Go ") || strings.Contains(msg, "struct") {
		return "", "a field does not hold the type it must"
	}
	return "", msg
}

// syntaxMessage is the syntax error without Go's wording of an unexpected end.
func syntaxMessage(e *json.SyntaxError) string {
	return strings.TrimPrefix(e.Error(), "json: ")
}

// jsonTypeName is the JSON type a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	if t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a JSON value"
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// article names a JSON value kind as encoding/json reports it ("number", "string", "array", "number 1.5").
func article(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "array", "object":
		return "an " + kind
	case "bool":
		return "true or false"
	case "":
		return "something else"
	}
	return "a " + kind
}

// readBody reads the whole request body (bounded by limitBody).
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, apperr.New(apperr.BadRequest, "body_unreadable", "the request body could not be read")
	}
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if containsNUL(b, mt != "text/csv") {
		return nil, apperr.New(apperr.BadRequest, "nul_character",
			"the body contains the NUL character (U+0000), which no stored text may hold")
	}
	if mt != "text/csv" && jsonDepth(b) > MaxJSONDepth {
		return nil, apperr.New(apperr.BadRequest, "too_deep", "the body nests arrays and objects deeper than %d levels", MaxJSONDepth)
	}
	return b, nil
}

// MaxJSONDepth bounds how deep a body's arrays and objects nest: far above any flag, cohort tree or payload
// an admin writes, far below what costs memory to decode (a map per level: 10,000 levels took 10 MB).
const MaxJSONDepth = 64

// jsonDepth is the deepest nesting of arrays and objects in body, brackets inside strings aside. It does not
// check the JSON: the decoder does, once the depth is known to be harmless.
func jsonDepth(body []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// containsNUL reports a NUL byte in body or, when body is JSON, a \u0000 escape in one of its strings:
// PostgreSQL's text and jsonb cannot store U+0000, so such a change would fail when committed.
func containsNUL(body []byte, isJSON bool) bool {
	if bytes.IndexByte(body, 0) >= 0 {
		return true
	}
	if !isJSON {
		return false
	}
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`\u0000`))
		if j < 0 {
			return false
		}
		at := i + j
		escapes := 0 // the backslashes before this one: an even count leaves it an escape
		for k := at - 1; k >= 0 && body[k] == '\\'; k-- {
			escapes++
		}
		if escapes%2 == 0 {
			return true
		}
		i = at + 1
	}
}

// readJSON reads the body into v strictly.
func readJSON(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// pathInt64 parses a numeric path parameter.
func pathInt64(c echo.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, apperr.New(apperr.BadRequest, "invalid_"+name, "%s must be a positive integer", name)
	}
	return v, nil
}

// invalid is the 422 (admin.Invalid) of one problem with the request, at path.
func invalid(path, message string) error {
	return admin.Invalid(flag.Problem{Path: path, Message: message})
}

func badParam(name, format string, args ...any) error {
	e := apperr.New(apperr.BadRequest, "invalid_parameter", "query parameter "+name+": "+format, args...)
	e.Details = []flag.Problem{{Path: name, Message: e.Message}}
	return e
}

// queryLimit reads ?limit= (1 to max, default def).
func queryLimit(c echo.Context, def, max int) (int, error) {
	s := c.QueryParam("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, badParam("limit", "must be an integer from 1 to %d", max)
	}
	return n, nil
}

func queryBool(c echo.Context, name string) (*bool, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, badParam(name, "must be true or false")
	}
	return &b, nil
}

func queryTime(c echo.Context, name string) (time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, badParam(name, "must be an RFC 3339 time")
	}
	return t, nil
}

// cursor is the opaque position a page ended at: base64url of a small JSON object.
type cursor struct {
	Key    string `json:"k,omitempty"`
	ID     int64  `json:"i,omitempty"`
	Member string `json:"m,omitempty"`
}

func (cur cursor) encode() string {
	b, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(b)
}

func queryCursor(c echo.Context) (cursor, error) {
	var cur cursor
	s := c.QueryParam("cursor")
	if s == "" {
		return cur, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &cur) != nil {
		return cur, badParam("cursor", "not a cursor this API returned")
	}
	return cur, nil
}

// setVersion sets the environment version header.
func setVersion(c echo.Context, version int64) {
	c.Response().Header().Set(HeaderEnvironmentVersion, strconv.FormatInt(version, 10))
}

// checkIfMatch refuses a write based on a stale read when the client sent If-Match (RFC 9110 §13.1.1):
// the write goes ahead when * is sent (the resource exists: callers check it at its current version) or when
// any entity-tag of the list equals the current version by strong comparison, so a weak W/"5" never
// matches. A bare number is accepted as its quoted form, for hand-written curl calls.
func checkIfMatch(c echo.Context, what string, version int64) error {
	values := c.Request().Header.Values("If-Match")
	if len(values) == 0 {
		return nil
	}
	header := strings.Join(values, ", ")
	current := strconv.FormatInt(version, 10)
	for _, tag := range entityTags(header) {
		if tag == "*" || tag == `"`+current+`"` || tag == current {
			return nil
		}
	}
	return apperr.New(apperr.PreconditionFailed, "version_mismatch", "the %s is at version %d; If-Match %s does not match its ETag %q", what, version, header, current)
}

// entityTags splits an If-Match list into its members as sent (`"5"`, `W/"5"`, `*`). A member that is not
// well formed ends the list: nothing after it can be trusted to match.
func entityTags(header string) []string {
	var out []string
	for s := header; ; {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out
		}
		start := 0
		if strings.HasPrefix(s, "W/") {
			start = 2
		}
		var n int
		if strings.HasPrefix(s[start:], `"`) {
			end := strings.IndexByte(s[start+1:], '"')
			if end < 0 {
				return out
			}
			n = start + end + 2
		} else if n = strings.IndexAny(s, " \t,"); n < 0 {
			n = len(s)
		}
		out = append(out, s[:n])
		s = s[n:]
	}
}

func setETag(c echo.Context, version int64) {
	c.Response().Header().Set("ETag", strconv.Quote(strconv.FormatInt(version, 10)))
}
