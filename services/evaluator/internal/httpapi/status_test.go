package httpapi

import (
	"net/http"
	"testing"

	"github.com/halyard-flags/halyard/shared/apperr"
)

// TestStatusOf: every kind has a status, and a kind the mapper does not know is a server error, never 0.
func TestStatusOf(t *testing.T) {
	tests := []struct {
		kind apperr.Kind
		want int
	}{
		{apperr.Internal, http.StatusInternalServerError},
		{apperr.BadRequest, http.StatusBadRequest},
		{apperr.Invalid, http.StatusBadRequest},
		{apperr.NotFound, http.StatusNotFound},
		{apperr.Conflict, http.StatusInternalServerError},
		{apperr.Unauthorized, http.StatusUnauthorized},
		{apperr.Forbidden, http.StatusForbidden},
		{apperr.PreconditionFailed, http.StatusInternalServerError},
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
