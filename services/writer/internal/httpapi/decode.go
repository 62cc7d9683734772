package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// decodeStrict reads one JSON value into v, refusing unknown fields and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
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

func badJSON(err error) error {
	return apperr.New(apperr.BadRequest, "invalid_json", "the body is not valid JSON for this resource: %v", err)
}

// readBody reads the whole request body (bounded by the BodyLimit middleware).
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, apperr.New(apperr.TooLarge, "body_too_large", "the request body is over 1 MiB")
	}
	return b, nil
}

// pathInt64 parses a numeric path parameter.
func pathInt64(c echo.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, apperr.New(apperr.BadRequest, "invalid_"+name, "%s must be a positive integer", name)
	}
	return v, nil
}
