package httpapi

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// principal is the authenticated caller.
type principal struct {
	actor admin.Actor
	scope admin.Scope // the highest scope held
}

const principalKey = "halyard.principal"

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
		return principal{actor: admin.Bootstrap, scope: admin.ScopeAdmin}, nil
	}
	id, secret, ok := admin.ParseToken(token)
	if !ok {
		return principal{}, admin.ErrInvalidToken()
	}
	t, err := s.Tokens.GetToken(c.Request().Context(), id)
	if apperr.KindOf(err) == apperr.NotFound {
		return principal{}, admin.ErrInvalidToken()
	}
	if err != nil {
		return principal{}, err
	}
	if err := t.Verify(secret, time.Now()); err != nil {
		return principal{}, err
	}
	return principal{actor: admin.Actor{Name: t.Name, TokenID: t.ID}, scope: t.Scope()}, nil
}

// requireScope refuses callers without the scope with 403.
func requireScope(need admin.Scope) echo.MiddlewareFunc {
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

func actor(c echo.Context) admin.Actor { return principalFrom(c).actor }
