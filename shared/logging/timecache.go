package logging

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap/zapcore"
)

// second is the text of one second of one location: what comes before the milliseconds, and the zone.
type second struct {
	unix   int64
	loc    *time.Location
	prefix string // 2006-01-02T15:04:05
	zone   string // Z0700
}

// lastSecond is the second encodeISO8601 formatted last.
var lastSecond atomic.Pointer[second]

// encodeISO8601 writes what zapcore.ISO8601TimeEncoder writes, formatting the date and time once a second
// instead of for every entry: a busy access log writes thousands of lines in each.
func encodeISO8601(t time.Time, enc zapcore.PrimitiveArrayEncoder) {
	buf := timeBufs.Get().(*[40]byte) // a local array would escape through the interface call
	enc.AppendByteString(appendISO8601(buf[:0], t))
	timeBufs.Put(buf)
}

var timeBufs = sync.Pool{New: func() any { return new([40]byte) }}

// appendISO8601 appends t as zapcore.ISO8601TimeEncoder writes it.
func appendISO8601(b []byte, t time.Time) []byte {
	s := lastSecond.Load()
	if s == nil || s.unix != t.Unix() || s.loc != t.Location() {
		s = &second{unix: t.Unix(), loc: t.Location(), prefix: t.Format("2006-01-02T15:04:05"), zone: t.Format("Z0700")}
		lastSecond.Store(s)
	}
	b = append(b, s.prefix...)
	ms := t.Nanosecond() / int(time.Millisecond)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10)) // #nosec G115 -- ms < 1000: digits
	return append(b, s.zone...)
}
