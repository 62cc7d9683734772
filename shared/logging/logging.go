// Package logging builds the one zap logger each Halyard process injects everywhere: JSON in production,
// human-readable console output for local development, at the level HALYARD_LOG_LEVEL names. It also
// masks the secrets configuration values carry, so the effective configuration can be logged at start.
package logging

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a logger writing JSON ("json") or console lines ("console") at level (debug, info, warn or
// error) to stderr.
func New(format, level string, opts ...Option) (*zap.Logger, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("logging.New: %w", err)
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.TimeKey = "ts"
		cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	default:
		return nil, fmt.Errorf("logging.New: unknown format %q (json or console)", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	if o.out != nil && o.flush == 0 {
		return nil, fmt.Errorf("logging.New: Output is for Buffered loggers")
	}
	if o.flush > 0 {
		return buffered(cfg, o), nil
	}
	return cfg.Build()
}
