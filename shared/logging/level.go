package logging

import (
	"fmt"

	"go.uber.org/zap/zapcore"
)

// ParseLevel returns the zap level named debug, info, warn or error.
func ParseLevel(name string) (zapcore.Level, error) {
	switch name {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info":
		return zapcore.InfoLevel, nil
	case "warn":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return zapcore.InfoLevel, fmt.Errorf("unknown log level %q (debug, info, warn or error)", name)
}

// LevelFromEnv is the level the environment asks for: HALYARD_LOG_LEVEL when set, else debug when
// HALYARD_DEBUG is set to anything (its meaning before HALYARD_LOG_LEVEL existed), else info.
func LevelFromEnv(getenv func(string) string) string {
	if l := getenv("HALYARD_LOG_LEVEL"); l != "" {
		return l
	}
	if getenv("HALYARD_DEBUG") != "" {
		return "debug"
	}
	return "info"
}
