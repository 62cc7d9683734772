package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/labstack/echo/v4"
)

// TokenStore is what the admin token routes, and authentication, need.
type TokenStore interface {
	CreateToken(ctx context.Context, actor admin.Actor, name string, scopes []string, expiresAt *time.Time, secretHash string) (admin.Token, error)
	ListTokens(ctx context.Context) ([]admin.Token, error)
	GetToken(ctx context.Context, id int64) (admin.Token, error)
	RevokeToken(ctx context.Context, actor admin.Actor, id int64) error
}

type tokenRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// tokenCreated is the only answer that holds a token's secret.
type tokenCreated struct {
	admin.Token
	Secret string `json:"token"`
}

func (s *Server) createToken(c echo.Context) error {
	var in tokenRequest
	if err := readJSON(c, &in); err != nil {
		return err
	}
	req, err := admin.TokenRequest{Name: in.Name, Scopes: in.Scopes, ExpiresAt: in.ExpiresAt}.Validate(time.Now())
	if err != nil {
		return err
	}
	secret := admin.NewTokenSecret()
	t, err := s.Tokens.CreateToken(c.Request().Context(), actor(c), req.Name, req.Scopes, req.ExpiresAt, admin.HashKey(secret))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenCreated{Token: t, Secret: admin.FormatToken(t.ID, secret)})
}

func (s *Server) listTokens(c echo.Context) error {
	ts, err := s.Tokens.ListTokens(c.Request().Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []admin.Token{}
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := pathInt64(c, "token_id")
	if err != nil {
		return err
	}
	if err := s.Tokens.RevokeToken(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
