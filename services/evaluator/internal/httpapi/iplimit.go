package httpapi

import (
	"net"
	"strings"

	"github.com/labstack/echo/v4"
)

// Per-IP rate limit: beside the per-key one, so a client cycling through made-up or leaked keys is still
// held to a rate. The client's address is the connection's peer, or, when the peer is a trusted proxy, the
// address that proxy put in X-Forwarded-For (ClientIP).

// unlimitedPaths are never limited by address: load balancers probe them from a handful of addresses.
var unlimitedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/version": true}

// limitByIP refuses a request over its address's rate, in the route's error shape (OFREP's or PostHog's).
func (s *Server) limitByIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.IPLimiter == nil || unlimitedPaths[c.Path()] {
			return next(c)
		}
		if ok, after := s.IPLimiter.Allow(c.RealIP()); !ok {
			err := &rateLimited{retryAfter: after}
			if strings.HasPrefix(c.Path(), "/ofrep/") {
				return s.ofrepFail(c, "", err)
			}
			return err
		}
		return next(c)
	}
}

// ClientIP is how the evaluator finds a request's client address: the connection's peer, unless the peer
// is one of trusted (proxies' networks), in which case the right-most address of X-Forwarded-For that is not
// itself a trusted proxy. With no trusted network, X-Forwarded-For is ignored: anyone can send one.
func ClientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
