package httpapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// TestStatusOf: every kind has its status, and a kind the mapper does not know is a server error, never 0.
func TestStatusOf(t *testing.T) {
	tests := []struct {
		kind apperr.Kind
		want int
	}{
		{apperr.Internal, http.StatusInternalServerError},
		{apperr.BadRequest, http.StatusBadRequest},
		{apperr.Invalid, http.StatusUnprocessableEntity},
		{apperr.NotFound, http.StatusNotFound},
		{apperr.Conflict, http.StatusConflict},
		{apperr.Unauthorized, http.StatusUnauthorized},
		{apperr.Forbidden, http.StatusForbidden},
		{apperr.PreconditionFailed, http.StatusPreconditionFailed},
		{apperr.TooLarge, http.StatusRequestEntityTooLarge},
		{apperr.Unavailable, http.StatusServiceUnavailable},
		{apperr.Kind(99), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := statusOf(tt.kind); got != tt.want {
			t.Errorf("statusOf(%d) = %d, want %d", tt.kind, got, tt.want)
		}
	}
}

// TestErrorResponse: application errors keep their code and details, internal ones show nothing of their
// cause, and echo's own errors get stable codes.
func TestErrorResponse(t *testing.T) {
	s := &Server{Log: zap.NewNop()}
	tests := []struct {
		name   string
		err    error
		status int
		body   errorBody
	}{
		{"not found", apperr.New(apperr.NotFound, "flag_not_found", "no flag"), 404, errorBody{Code: "flag_not_found", Message: "no flag"}},
		{"internal", apperr.Wrap(errors.New("connection refused"), "op"), 500, errorBody{Code: "internal", Message: "internal error"}},
		{"foreign", errors.New("boom"), 500, errorBody{Code: "internal", Message: "internal error"}},
		{"unknown kind", &apperr.Error{Kind: 42, Code: "odd", Message: "odd"}, 500, errorBody{Code: "odd", Message: "odd"}},
		{"echo 404", echo.ErrNotFound, 404, errorBody{Code: "route_not_found", Message: "no such route"}},
		{"echo 405", echo.ErrMethodNotAllowed, 405, errorBody{Code: "method_not_allowed", Message: "method not allowed on this route"}},
		{"echo 413", echo.ErrStatusRequestEntityTooLarge, 413, errorBody{Code: "body_too_large", Message: "the request body is too large"}},
		{"echo other", echo.ErrTooManyRequests, 429, errorBody{Code: "http_error", Message: "Too Many Requests"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := s.errorResponse(tt.err)
			if diff := cmp.Diff(tt.body, body); status != tt.status || diff != "" {
				t.Errorf("status %d, want %d; body mismatch (-want +got):\n%s", status, tt.status, diff)
			}
		})
	}
}
