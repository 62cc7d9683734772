// Package logging builds the one zap logger each Halyard process injects everywhere: JSON in production,
// human-readable console output for local development.
package logging

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a logger writing JSON ("json") or console lines ("console") at info level, or debug when
// debug is set.
func New(format string, debug bool) (*zap.Logger, error) {
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
	cfg.Level = zap.NewAtomicLevelAt(zap.InfoLevel)
	if debug {
		cfg.Level = zap.NewAtomicLevelAt(zap.DebugLevel)
	}
	return cfg.Build()
}
