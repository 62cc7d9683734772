package logging

import (
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Option changes the logger New builds.
type Option func(*options)

type options struct {
	flush time.Duration // > 0: buffered
	out   io.Writer     // where a buffered logger writes (tests); default stderr
}

// Buffered has the logger write through a buffer flushed every interval, when full, and by the logger's
// Sync (call it at shutdown). It is for logs of one line per request, such as the access log: the request
// path then never waits on a write, and every entry is kept (no sampling) and goes without the caller's
// file and line, which cost more than the rest of the line. Its JSON lines of plain strings, integers and
// durations are written by a fast path of zap's encoder (flatjson.go).
func Buffered(interval time.Duration) Option {
	return func(o *options) { o.flush = interval }
}

// Output has a Buffered logger write to w instead of stderr (tests, benchmarks).
func Output(w io.Writer) Option {
	return func(o *options) { o.out = w }
}

// buffered builds cfg's logger writing through a zapcore.BufferedWriteSyncer.
func buffered(cfg zap.Config, o options) *zap.Logger {
	out := o.out
	if out == nil {
		out = os.Stderr
	}
	ec := cfg.EncoderConfig
	ec.EncodeTime = encodeISO8601 // ISO 8601, as both formats write it, for less
	var enc zapcore.Encoder = newFlatJSON(ec)
	if cfg.Encoding == "console" {
		enc = zapcore.NewConsoleEncoder(ec)
	}
	ws := &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(out), FlushInterval: o.flush}
	return zap.New(zapcore.NewCore(enc, ws, cfg.Level), zap.ErrorOutput(zapcore.Lock(zapcore.AddSync(os.Stderr))))
}
