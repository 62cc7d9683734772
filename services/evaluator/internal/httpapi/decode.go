package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/eval"
)

// flagsRequest is PostHog's /flags (and /decide) request body. PostHog accepts the project token as "token",
// "$token" or "api_key", and ids as strings or numbers.
type flagsRequest struct {
	Token            string                    `json:"token"`
	DollarToken      string                    `json:"$token"`
	APIKey           string                    `json:"api_key"`
	DistinctID       any                       `json:"distinct_id"`
	AnonDistinctID   any                       `json:"$anon_distinct_id"`
	DeviceID         any                       `json:"$device_id"`
	DeviceIDPlain    any                       `json:"device_id"` // posthog-go's spelling
	PersonProperties map[string]any            `json:"person_properties"`
	Groups           map[string]any            `json:"groups"`
	GroupProperties  map[string]map[string]any `json:"group_properties"`
	// PostHog reads flag_keys, with flag_keys_to_evaluate as its alias (flag_request.rs, FlagRequest).
	FlagKeys           []string `json:"flag_keys"`
	FlagKeysToEvaluate []string `json:"flag_keys_to_evaluate"`
	// The request's evaluation scope (scope.go): evaluation_contexts, with evaluation_environments as its
	// alias, and an explicit evaluation_runtime (nil when absent or null).
	EvaluationContexts     []string `json:"evaluation_contexts"`
	EvaluationEnvironments []string `json:"evaluation_environments"`
	EvaluationRuntime      *string  `json:"evaluation_runtime"`
}

// flagKeys is the flags the request asks for (nil: every flag). Naming both spellings is refused, as serde
// refuses a field given twice through an alias.
func (r *flagsRequest) flagKeys() ([]string, error) {
	return aliased(r.FlagKeys, r.FlagKeysToEvaluate, "flag_keys", "flag_keys_to_evaluate")
}

// evaluationContexts is the contexts the request names (nil: none).
func (r *flagsRequest) evaluationContexts() ([]string, error) {
	return aliased(r.EvaluationContexts, r.EvaluationEnvironments, "evaluation_contexts", "evaluation_environments")
}

func aliased(field, alias []string, name, aliasName string) ([]string, error) {
	if field != nil && alias != nil {
		return nil, decodeError("%s and its alias %s are both set: send one", name, aliasName)
	}
	if field != nil {
		return field, nil
	}
	return alias, nil
}

func (r *flagsRequest) token() string {
	switch {
	case r.Token != "":
		return r.Token
	case r.DollarToken != "":
		return r.DollarToken
	}
	return r.APIKey
}

// readBody reads at most MaxBodyBytes into a pooled buffer; a longer body is a 413. The caller gives the
// buffer back with putBody once decoded (the decoders copy whatever they keep).
func readBody(req *http.Request) (*[]byte, error) {
	if req.ContentLength > MaxBodyBytes {
		return nil, errTooLarge // refused before reading: a claimed length is never less than what is read
	}
	buf := getBody()
	b := *buf
	if n := req.ContentLength; n > 0 && int(n) >= cap(b) {
		b = make([]byte, 0, n+1) // +1: EOF is seen without growing
	}
	for {
		if len(b) == cap(b) {
			// Doubling, not append's 1.25 for large slices: a body of unknown length allocates twice
			// its size at most, not five times.
			b = slices.Grow(b, min(max(cap(b), 512), MaxBodyBytes+1-len(b)))
		}
		n, err := req.Body.Read(b[len(b):min(cap(b), MaxBodyBytes+1)])
		b = b[:len(b)+n]
		*buf = b
		if len(b) > MaxBodyBytes {
			putBody(buf)
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			putBody(buf)
			return nil, apperr.New(apperr.BadRequest, "invalid_body", "cannot read the request body")
		}
	}
}

var errTooLarge = apperr.New(apperr.TooLarge, "body_too_large", "the request body is over 1 MiB")

// decodeFlagsRequest turns a PostHog request body into a flagsRequest the way PostHog's flag service does:
// JSON or text/plain bodies, gzip when asked for by ?compression=gzip|gzip-js, by Content-Encoding or by the
// gzip magic bytes, a base64 fallback when the body is not JSON, and form bodies carrying base64 in data=.
func decodeFlagsRequest(req *http.Request, body []byte) (*flagsRequest, error) {
	ct := req.Header.Get(echoContentType)
	base := "application/json"
	if ct != "" && ct != base {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			base = mt
		} else {
			base = strings.TrimSpace(strings.SplitN(ct, ";", 2)[0])
		}
	}
	compression := ""
	if strings.Contains(req.URL.RawQuery, "compression") { // parsing every query costs a map per request
		compression = strings.ToLower(req.URL.Query().Get("compression"))
	}
	switch compression {
	case "", "gzip", "gzip-js", "base64":
	default:
		return nil, decodeError("unsupported compression type %q", compression)
	}
	switch base {
	case "application/json", "text/plain":
		raw, err := decompress(body, compression, req.Header.Get("Content-Encoding"))
		if err != nil {
			return nil, err
		}
		return parseWithFallbacks(raw)
	case "application/x-www-form-urlencoded":
		if compression == "gzip" || compression == "gzip-js" {
			return nil, decodeError("gzip is not supported for form-urlencoded bodies")
		}
		return decodeForm(body)
	}
	return nil, decodeError("unsupported content type %q", ct)
}

func decodeError(format string, args ...any) error {
	return apperr.New(apperr.BadRequest, "failed_to_decode_request", format, args...)
}

func decompress(body []byte, compression, contentEncoding string) ([]byte, error) {
	if compression == "gzip" || compression == "gzip-js" || strings.Contains(contentEncoding, "gzip") ||
		(len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b) {
		return gunzip(body)
	}
	return body, nil
}

// gunzip decompresses at most MaxBodyBytes: a small bomb must not become a large allocation.
func gunzip(body []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, decodeError("gzip decompression failed: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxBodyBytes+1))
	if err != nil {
		return nil, decodeError("gzip decompression failed: %v", err)
	}
	if len(out) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return out, nil
}

func parseWithFallbacks(raw []byte) (*flagsRequest, error) {
	if doc, ok := parseJSON(raw); ok {
		if r, ok := flagsRequestOf(doc); ok {
			return r, nil
		}
	}
	var r flagsRequest
	if err := unmarshalNumbers(raw, &r); err == nil {
		return &r, nil
	}
	if dec, err := decodeBase64(string(raw)); err == nil {
		if err := unmarshalNumbers(dec, &r); err == nil {
			return &r, nil
		}
	}
	return nil, decodeError("the body is not valid JSON")
}

// decodeBase64 accepts URL-encoded, space-broken, unpadded standard base64, as PostHog's SDKs send it.
func decodeBase64(s string) ([]byte, error) {
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, errors.New("empty")
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func decodeForm(body []byte) (*flagsRequest, error) {
	s, err := url.PathUnescape(string(body))
	if err != nil {
		return nil, decodeError("the form body is not URL-encoded")
	}
	if rest, ok := strings.CutPrefix(s, "data="); ok {
		s, _, _ = strings.Cut(rest, "&")
	}
	dec, err := decodeBase64(s)
	if err != nil {
		return nil, formNotBase64(s)
	}
	var r flagsRequest
	if err := unmarshalNumbers(bytes.ToValidUTF8(dec, []byte("\uFFFD")), &r); err != nil {
		return nil, decodeError("the form data is not valid JSON")
	}
	return &r, nil
}

// formNotBase64 says what a form body must hold. JSON sent as a form is what curl -d sends when no
// Content-Type is given: the answer names the header to add.
func formNotBase64(form string) error {
	if t := strings.TrimSpace(form); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return decodeError("the body is JSON but its Content-Type is application/x-www-form-urlencoded (what curl -d sends " +
			"by default): send it with Content-Type: application/json")
	}
	return decodeError("a form body (Content-Type: application/x-www-form-urlencoded) must hold the request as " +
		"base64-encoded JSON in data=; send plain JSON with Content-Type: application/json")
}

// unmarshalNumbers decodes JSON keeping numbers as json.Number, so ids, group keys and properties keep the
// text serde_json would print for them (42.0 stays "42.0", as PostHog hashes and compares it).
func unmarshalNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// groupKey is stringify for group keys: PostHog treats a boolean group key as no group at all.
func groupKey(v any) string {
	if _, isBool := v.(bool); isBool {
		return ""
	}
	return stringify(v)
}

// stringify turns a JSON distinct id or group key into PostHog's string form: numbers as serde_json prints
// them (hashed_identifier's n.to_string()).
func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return eval.SerdeNumber(x.String())
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

const echoContentType = "Content-Type"
