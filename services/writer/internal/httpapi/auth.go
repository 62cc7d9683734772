package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// scope is what a token may do; each scope includes the ones below it (admin ⊃ write ⊃ read).
type scope int

const (
	scopeRead scope = iota + 1
	scopeWrite
	scopeAdmin
)

var scopeNames = map[string]scope{"read": scopeRead, "write": scopeWrite, "admin": scopeAdmin}

func (s scope) String() string {
	for n, v := range scopeNames {
		if v == s {
			return n
		}
	}
	return "none"
}

// principal is the authenticated caller.
type principal struct {
	actor postgres.Actor
	scope scope // the highest scope held
}

const principalKey = "halyard.principal"

// tokenPrefix starts every admin token: hly_<id>_<secret>. The id finds the row; the secret's hash is
// compared in constant time.
const tokenPrefix = "hly_"

// authenticate accepts the bootstrap admin token or an admin token made through the API.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok || token == "" {
			return apperr.New(apperr.Unauthorized, "unauthenticated", "send Authorization: Bearer <admin token>")
		}
		p, err := s.principalOf(c, token)
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func (s *Server) principalOf(c echo.Context, token string) (principal, error) {
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.AdminToken)) == 1 {
		return principal{actor: postgres.Actor{Name: "bootstrap"}, scope: scopeAdmin}, nil
	}
	invalidToken := apperr.New(apperr.Unauthorized, "invalid_token", "the admin token is not valid")
	idPart, secret, ok := strings.Cut(strings.TrimPrefix(token, tokenPrefix), "_")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !strings.HasPrefix(token, tokenPrefix) || !ok || err != nil {
		return principal{}, invalidToken
	}
	t, err := s.Store.GetToken(c.Request().Context(), id)
	if apperr.KindOf(err) == apperr.NotFound {
		return principal{}, invalidToken
	}
	if err != nil {
		return principal{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(t.SecretHash)) != 1 {
		return principal{}, invalidToken
	}
	if t.RevokedAt != nil {
		return principal{}, apperr.New(apperr.Unauthorized, "token_revoked", "the admin token was revoked")
	}
	if t.ExpiresAt != nil && !t.ExpiresAt.After(time.Now()) {
		return principal{}, apperr.New(apperr.Unauthorized, "token_expired", "the admin token expired")
	}
	p := principal{actor: postgres.Actor{Name: t.Name, TokenID: t.ID}}
	for _, n := range t.Scopes {
		p.scope = max(p.scope, scopeNames[n])
	}
	return p, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// requireScope refuses callers without the scope with 403.
func requireScope(need scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p := principalFrom(c); p.scope < need {
				return apperr.New(apperr.Forbidden, "insufficient_scope", "this call needs the %s scope; the token has %s", need, p.scope)
			}
			return next(c)
		}
	}
}

func principalFrom(c echo.Context) principal {
	p, _ := c.Get(principalKey).(principal)
	return p
}

func actor(c echo.Context) postgres.Actor { return principalFrom(c).actor }

type tokenRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// tokenCreated is the only answer that holds a token's secret.
type tokenCreated struct {
	postgres.Token
	Secret string `json:"token"`
}

func (s *Server) createToken(c echo.Context) error {
	var in tokenRequest
	if err := readJSON(c, &in); err != nil {
		return err
	}
	var problems []Problem
	if in.Name = trimmed(in.Name); in.Name == "" || len(in.Name) > 200 {
		problems = append(problems, Problem{"name", "name is required, at most 200 characters"})
	}
	if len(in.Scopes) == 0 {
		problems = append(problems, Problem{"scopes", "at least one of read, write, admin"})
	}
	for i, sc := range in.Scopes {
		if scopeNames[sc] == 0 {
			problems = append(problems, Problem{"scopes[" + strconv.Itoa(i) + "]", "unknown scope " + strconv.Quote(sc) + " (read, write, admin)"})
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(time.Now()) {
		problems = append(problems, Problem{"expires_at", "must be in the future"})
	}
	if len(problems) > 0 {
		return invalidAll(problems)
	}
	slices.Sort(in.Scopes)
	secret := postgres.NewKey("")
	t, err := s.Store.CreateToken(c.Request().Context(), actor(c), in.Name, slices.Compact(in.Scopes), in.ExpiresAt, hashSecret(secret))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenCreated{Token: t, Secret: tokenPrefix + strconv.FormatInt(t.ID, 10) + "_" + secret})
}

func (s *Server) listTokens(c echo.Context) error {
	ts, err := s.Store.ListTokens(c.Request().Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []postgres.Token{}
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := pathInt64(c, "token_id")
	if err != nil {
		return err
	}
	if err := s.Store.RevokeToken(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
