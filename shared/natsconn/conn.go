package natsconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/shared/logging"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// Conn is a NATS connection that says when it has closed for good.
type Conn struct {
	*nats.Conn
	closed chan struct{}
}

// Connect connects to c.URL as name, with c's credential and TLS options, reconnecting forever every 250 ms
// (logged at most every 10 s). A server that cannot be reached at start is retried in the background, so the
// process starts anyway and becomes ready once it connects; a server that refuses the credential or whose
// certificate does not verify is an error at once. extra options come after Halyard's (a service may
// replace the log handlers).
func Connect(c Config, name string, log *zap.Logger, extra ...nats.Option) (*Conn, error) {
	creds, err := Options(c)
	if err != nil {
		return nil, err
	}
	conn := &Conn{closed: make(chan struct{})}
	var once sync.Once
	opts := append(handlers(c, log), creds...)
	opts = append(append(opts, extra...), nats.Name(name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.ClosedHandler(func(*nats.Conn) { once.Do(func() { close(conn.closed) }) }))
	conn.Conn, err = nats.Connect(c.URL, opts...)
	if err != nil && !refused(err) {
		conn.Conn, err = nats.Connect(c.URL, append(opts, nats.RetryOnFailedConnect(true))...)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot connect to NATS at %s: %w", logging.RedactNATS(c.URL), err)
	}
	return conn, nil
}

// refused says whether NATS answered and refused this client: its credential, or TLS (a server certificate
// that does not verify, a client certificate the server rejects, TLS wanted by one side only). Retrying
// cannot help; anything else, a TLS handshake that timed out included, may be NATS starting.
func refused(err error) bool {
	var verify *tls.CertificateVerificationError
	var op *net.OpError
	var timeout interface{ Timeout() bool }
	tlsRefused := errors.Is(err, nats.ErrTLS) && !(errors.As(err, &timeout) && timeout.Timeout())
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrSecureConnRequired) ||
		errors.Is(err, nats.ErrSecureConnWanted) || tlsRefused || errors.As(err, &verify) ||
		(errors.As(err, &op) && op.Op == "remote error") // a TLS alert after the handshake
}

// handlers log the connection's life.
func handlers(c Config, log *zap.Logger) []nats.Option {
	failing := throttled(10 * time.Second)
	return []nats.Option{
		nats.ConnectHandler(func(nc *nats.Conn) {
			log.Info("NATS connected", zap.String("url", logging.RedactNATS(nc.ConnectedUrlRedacted())))
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if failing() { // an attempt every 250 ms; say so every 10 s
				log.Warn("cannot reach NATS; retrying", zap.String("url", logging.RedactNATS(c.URL)), zap.Error(err))
			}
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("NATS reconnected") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("NATS asynchronous error", zap.Error(err))
		}),
	}
}

// Closed is closed once the connection has closed for good: after Drain or Close, or when NATS refused the
// credential on reconnecting.
func (c *Conn) Closed() <-chan struct{} { return c.closed }

// Watch returns nil when ctx ends, or an error if the connection closes for good before: the process cannot
// work without it.
func (c *Conn) Watch(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-c.closed:
		return fmt.Errorf("nats: the connection closed: %v", c.LastError())
	}
}

// Drain drains the connection (its subscriptions, then what it still has to publish) and waits until it is
// closed, at most timeout; past it, the connection is closed and Drain says so. nats.go's Drain only starts
// the drain: this is what shutdown waits on.
func (c *Conn) Drain(timeout time.Duration) error {
	if err := c.Conn.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) &&
		!errors.Is(err, nats.ErrConnectionReconnecting) { // reconnecting: nats.go closed it, nothing to drain
		c.Close()
		return fmt.Errorf("nats: drain: %w", err)
	}
	select {
	case <-c.closed:
		return nil
	case <-time.After(timeout):
		c.Close()
		return fmt.Errorf("nats: not drained after %s; closed", timeout)
	}
}

// throttled returns a function that reports true at most once per interval.
func throttled(interval time.Duration) func() bool {
	var mu sync.Mutex
	var last time.Time
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < interval {
			return false
		}
		last = time.Now()
		return true
	}
}

// Stop drains the connection, waiting until it is closed for at most timeout, and logs how that went: the
// last NATS step of a service's shutdown.
func (c *Conn) Stop(timeout time.Duration, log *zap.Logger) {
	if err := c.Drain(timeout); err != nil {
		log.Warn("stopping: NATS did not drain cleanly", zap.Error(err))
		return
	}
	log.Info("stopping: NATS drained")
}
