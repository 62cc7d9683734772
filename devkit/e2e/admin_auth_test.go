package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

type tokenAnswer struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	Token  string   `json:"token"`
}

func newToken(t *testing.T, cl *admin.Client, name string, scopes []string, expires *time.Time) (*admin.Client, tokenAnswer) {
	t.Helper()
	body := map[string]any{"name": name, "scopes": scopes}
	if expires != nil {
		body["expires_at"] = expires.Format(time.RFC3339Nano)
	}
	tok := decode[tokenAnswer](t, call(t, cl, http.MethodPost, "/api/v1/tokens", body, http.StatusCreated))
	if !strings.HasPrefix(tok.Token, "hly_") {
		t.Fatalf("token = %+v", tok)
	}
	return cl.WithToken(tok.Token), tok
}

func adminTokens(t *testing.T, c *cluster.Cluster, boot *admin.Client) {
	env := newEnv(t, boot, "tokens")
	flags := envPath(env.ID, "/flags")

	wantError(t, boot.WithToken(""), http.MethodGet, flags, nil, http.StatusUnauthorized, "unauthenticated")
	wantError(t, boot.WithToken("not-a-token"), http.MethodGet, flags, nil, http.StatusUnauthorized, "invalid_token")
	wantError(t, boot.WithToken("hly_1_wrongsecret"), http.MethodGet, flags, nil, http.StatusUnauthorized, "invalid_token")

	reader, _ := newToken(t, boot, "ci-reader", []string{"read"}, nil)
	writer, wtok := newToken(t, boot, "ci-writer", []string{"write"}, nil)
	adm, _ := newToken(t, boot, "platform", []string{"admin"}, nil)

	call(t, reader, http.MethodGet, flags, nil, http.StatusOK)
	wantError(t, reader, http.MethodPost, flags, flagRule("r", "a", "b"), http.StatusForbidden, "insufficient_scope")
	f := decode[flagAnswer](t, call(t, writer, http.MethodPost, flags, flagRule("by-writer", "a", "b"), http.StatusCreated))
	if f.CreatedBy != "ci-writer" {
		t.Fatalf("created_by = %q", f.CreatedBy)
	}
	wantError(t, writer, http.MethodPost, "/api/v1/projects", map[string]any{"name": "p"}, http.StatusForbidden, "insufficient_scope")
	wantError(t, writer, http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "scopes": []string{"admin"}}, http.StatusForbidden, "insufficient_scope")
	call(t, adm, http.MethodPost, "/api/v1/projects", map[string]any{"name": "by-admin-token"}, http.StatusCreated)
	call(t, adm, http.MethodPost, flags, flagRule("by-admin", "a", "b"), http.StatusCreated)

	// The audit log names the token.
	audit := decode[auditPage](t, call(t, reader, http.MethodGet, fmt.Sprintf("/api/v1/audit?flag=by-writer&environment_id=%d", env.ID), nil, http.StatusOK))
	if len(audit.Entries) != 1 || audit.Entries[0].Actor != "ci-writer" || audit.Entries[0].ActorTokenID == nil || *audit.Entries[0].ActorTokenID != wtok.ID {
		t.Fatalf("audit of by-writer = %+v", audit.Entries)
	}

	// Listing never shows secrets.
	r := call(t, adm, http.MethodGet, "/api/v1/tokens", nil, http.StatusOK)
	if strings.Contains(string(r.Body), `"token"`) || strings.Contains(string(r.Body), "hash") {
		t.Fatalf("token list leaks secrets: %s", r.Body)
	}

	p := decode[problemsAnswer](t, wantError(t, boot, http.MethodPost, "/api/v1/tokens",
		map[string]any{"name": "", "scopes": []string{"root"}, "expires_at": "2001-01-01T00:00:00Z"}, http.StatusUnprocessableEntity, "validation_failed"))
	if len(p.Details) != 3 {
		t.Fatalf("token problems = %+v", p.Details)
	}
	wantError(t, boot, http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "scopes": []string{"read"}, "ttl": 3}, http.StatusBadRequest, "unknown_field")

	// Expiry and revocation.
	soon := time.Now().Add(1500 * time.Millisecond)
	short, _ := newToken(t, boot, "short-lived", []string{"read"}, &soon)
	call(t, short, http.MethodGet, flags, nil, http.StatusOK)
	checkFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		r, err := short.Request(t.Context(), http.MethodGet, flags, nil, nil)
		if err != nil || r.Status != http.StatusUnauthorized || r.Code() != "token_expired" {
			return fmt.Errorf("expired token: %v %v", err, r)
		}
		return nil
	})
	call(t, adm, http.MethodDelete, fmt.Sprintf("/api/v1/tokens/%d", wtok.ID), nil, http.StatusNoContent)
	wantError(t, writer, http.MethodGet, flags, nil, http.StatusUnauthorized, "token_revoked")
	wantError(t, adm, http.MethodDelete, fmt.Sprintf("/api/v1/tokens/%d", wtok.ID), nil, http.StatusNotFound, "token_not_found")
}
