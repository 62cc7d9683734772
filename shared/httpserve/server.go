package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Server serves one handler until its context ends, then stops the way a load balancer in front of it needs:
//
//  1. at once, ReadyPath answers 503 {"status":"stopping"} (the rest of the handler is untouched), and every
//     answer carries Connection: close, so clients move their kept-alive connections elsewhere;
//  2. for Config.LameDuck it keeps serving everything else normally, while the load balancer's health
//     checks notice and stop sending requests;
//  3. then http.Server.Shutdown: no new connections, and the requests in flight get Config.ShutdownTimeout
//     to finish.
type Server struct {
	Addr      string
	Handler   http.Handler
	Config    Config
	ReadyPath string         // answered 503 from the moment shutdown begins; "" = none
	Log       *zap.Logger    // nil = no logs
	Bound     func(net.Addr) // called with the listening address (":0" works)
}

// Run listens on Addr and serves until ctx ends, then shuts down as Server says. It returns nil after a
// clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("httpserve: %w", err)
	}
	if s.Bound != nil {
		s.Bound(ln.Addr())
	}
	log := s.Log
	if log == nil {
		log = zap.NewNop()
	}
	var stopping atomic.Bool
	srv := &http.Server{Handler: s.lameDuck(&stopping), ReadHeaderTimeout: s.Config.ReadHeaderTimeout,
		ReadTimeout: s.Config.ReadTimeout, WriteTimeout: s.Config.WriteTimeout, IdleTimeout: s.Config.IdleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("httpserve: %w", err)
	case <-ctx.Done():
	}

	stopping.Store(true)
	log.Info("stopping: not ready, still serving for the lame duck", zap.Duration("lame_duck", s.Config.LameDuck))
	select {
	case err := <-errc:
		return fmt.Errorf("httpserve: %w", err)
	case <-time.After(s.Config.LameDuck):
	}
	log.Info("stopping: refusing new connections, finishing requests in flight", zap.Duration("timeout", s.Config.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close() // the stragglers are cut: the process is going away
		return fmt.Errorf("httpserve: requests still in flight after %s: %w", s.Config.ShutdownTimeout, err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpserve: %w", err)
	}
	return nil
}

// lameDuck wraps the handler: once stopping, ReadyPath answers 503 and every answer closes its connection.
func (s *Server) lameDuck(stopping *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !stopping.Load() {
			s.Handler.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		if s.ReadyPath != "" && r.URL.Path == s.ReadyPath {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"stopping"}` + "\n"))
			return
		}
		s.Handler.ServeHTTP(w, r)
	})
}
