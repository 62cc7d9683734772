package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type tokenAnswer struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedBy string     `json:"created_by"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	Token     string     `json:"token"`
}

// TestTokens: an admin creates, lists and revokes tokens; a token's scope bounds what it may call; a
// revoked, expired, unknown or malformed token is refused with 401, and so is a call without one.
func TestTokens(t *testing.T) {
	a := newAPI(t)
	var reader, writer tokenAnswer
	a.ok(http.MethodPost, "/tokens", map[string]any{"name": " ci ", "scopes": []string{"read"}}, http.StatusCreated, &reader)
	a.ok(http.MethodPost, "/tokens", map[string]any{"name": "deploy", "scopes": []string{"write", "read", "write"}}, http.StatusCreated, &writer)
	if reader.Name != "ci" || reader.CreatedBy != "bootstrap" || !strings.HasPrefix(reader.Token, "hly_"+idText(reader.ID)+"_") {
		t.Fatalf("created token %+v", reader)
	}
	if diff := cmp.Diff([]string{"read", "write"}, writer.Scopes); diff != "" {
		t.Errorf("scopes mismatch (-want +got):\n%s", diff)
	}
	e := a.fails(http.MethodPost, "/tokens", map[string]any{"name": "", "scopes": []string{"root"},
		"expires_at": time.Now().Add(-time.Hour)}, http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"name", "scopes[0]", "expires_at"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodPost, "/tokens", map[string]any{"name": "x", "scope": "read"}, http.StatusBadRequest, "unknown_field")

	// Scopes: read may read, not write; write may write, not administer.
	r, w := a.as(reader.Token), a.as(writer.Token)
	r.ok(http.MethodGet, "/projects", nil, http.StatusOK, nil)
	r.fails(http.MethodPost, "/projects", map[string]string{"name": "p"}, http.StatusForbidden, "insufficient_scope")
	w.fails(http.MethodGet, "/tokens", nil, http.StatusForbidden, "insufficient_scope")
	var audit struct {
		Entries []struct {
			Actor        string `json:"actor"`
			ActorTokenID *int64 `json:"actor_token_id"`
		} `json:"entries"`
	}
	env := a.environment("tokens")
	w.ok(http.MethodPost, env.path("/flags"), map[string]any{"key": "by-token"}, http.StatusCreated, nil)
	a.ok(http.MethodGet, "/audit?flag=by-token", nil, http.StatusOK, &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Actor != "deploy" || audit.Entries[0].ActorTokenID == nil || *audit.Entries[0].ActorTokenID != writer.ID {
		t.Errorf("the flag's audit entries %+v, want one by deploy (token %d)", audit.Entries, writer.ID)
	}

	var list struct {
		Tokens []tokenAnswer `json:"tokens"`
	}
	a.ok(http.MethodGet, "/tokens", nil, http.StatusOK, &list)
	if len(list.Tokens) != 2 || list.Tokens[0].Token != "" {
		t.Fatalf("listed %+v, want two tokens without secrets", list.Tokens)
	}

	a.ok(http.MethodDelete, "/tokens/"+idText(reader.ID), nil, http.StatusNoContent, nil)
	a.fails(http.MethodDelete, "/tokens/"+idText(reader.ID), nil, http.StatusNotFound, "token_not_found")
	a.fails(http.MethodDelete, "/tokens/x", nil, http.StatusBadRequest, "invalid_token_id")
	r.fails(http.MethodGet, "/projects", nil, http.StatusUnauthorized, "token_revoked")

	if _, err := a.db.Pool.Exec(context.Background(), `UPDATE admin_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, writer.ID); err != nil {
		t.Fatal(err)
	}
	w.fails(http.MethodGet, "/projects", nil, http.StatusUnauthorized, "token_expired")
	for _, bad := range []string{writer.Token + "x", "hly_999_secret", "hly_x_secret", "hly_1", "something"} {
		a.as(bad).fails(http.MethodGet, "/projects", nil, http.StatusUnauthorized, "invalid_token")
	}
	a.as("").fails(http.MethodGet, "/projects", nil, http.StatusUnauthorized, "unauthenticated")
}
