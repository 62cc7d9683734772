package logging

import (
	"time"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// flatJSON is zap's JSON encoder with a fast path for the lines of a busy log: an entry with no caller,
// stack or context whose fields are strings, integers and durations, none needing an escape, is appended
// directly, byte for byte what zap's encoder writes (flatjson_test.go compares the two); anything else goes
// to zap's encoder. zap's generic field encoding is most of an access log line's cost.
type flatJSON struct {
	zapcore.Encoder // zap's JSON encoder, for every other entry and for context fields
	cfg             zapcore.EncoderConfig
	flat            bool // false once cloned: a clone may hold context fields the fast path would drop
}

var flatBuffers = buffer.NewPool()

// newFlatJSON returns the encoder for cfg, whose level, time and duration encoders must be those New sets
// for JSON (lowercase level, ISO 8601 time, seconds).
func newFlatJSON(cfg zapcore.EncoderConfig) *flatJSON {
	return &flatJSON{Encoder: zapcore.NewJSONEncoder(cfg), cfg: cfg, flat: true}
}

func (e *flatJSON) Clone() zapcore.Encoder {
	return &flatJSON{Encoder: e.Encoder.Clone(), cfg: e.cfg}
}

func (e *flatJSON) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	if !e.flat || ent.Caller.Defined || ent.Stack != "" || !plain(ent.LoggerName) || !plain(ent.Message) || !flatFields(fields) {
		return e.Encoder.EncodeEntry(ent, fields)
	}
	l := flatLine{b: flatBuffers.Get()}
	l.b.AppendByte('{')
	if e.cfg.LevelKey != "" {
		l.key(e.cfg.LevelKey)
		l.str(ent.Level.String())
	}
	if e.cfg.TimeKey != "" && !ent.Time.IsZero() {
		l.key(e.cfg.TimeKey)
		var ts [40]byte
		l.b.AppendByte('"')
		l.b.AppendBytes(appendISO8601(ts[:0], ent.Time))
		l.b.AppendByte('"')
	}
	if ent.LoggerName != "" && e.cfg.NameKey != "" {
		l.key(e.cfg.NameKey)
		l.str(ent.LoggerName)
	}
	if e.cfg.MessageKey != "" {
		l.key(e.cfg.MessageKey)
		l.str(ent.Message)
	}
	for i := range fields {
		f := &fields[i]
		l.key(f.Key)
		switch f.Type {
		case zapcore.StringType:
			l.str(f.String)
		case zapcore.Int64Type:
			l.b.AppendInt(f.Integer)
		case zapcore.DurationType: // as zapcore.SecondsDurationEncoder writes it
			l.b.AppendFloat(float64(f.Integer)/float64(time.Second), 64)
		}
	}
	l.b.AppendByte('}')
	l.b.AppendString(e.cfg.LineEnding)
	return l.b, nil
}

// flatLine is a JSON object being appended.
type flatLine struct {
	b    *buffer.Buffer
	more bool // a member was written: the next needs a comma
}

func (l *flatLine) key(k string) {
	if l.more {
		l.b.AppendByte(',')
	}
	l.more = true
	l.b.AppendByte('"')
	l.b.AppendString(k)
	l.b.AppendString(`":`)
}

func (l *flatLine) str(s string) {
	l.b.AppendByte('"')
	l.b.AppendString(s)
	l.b.AppendByte('"')
}

// flatFields says whether every field takes the fast path.
func flatFields(fields []zapcore.Field) bool {
	for i := range fields {
		f := &fields[i]
		switch f.Type {
		case zapcore.StringType:
			if !plain(f.String) {
				return false
			}
		case zapcore.Int64Type, zapcore.DurationType:
		default:
			return false
		}
		if !plain(f.Key) {
			return false
		}
	}
	return true
}

// plain says whether zap's JSON encoder writes s as is: printable ASCII without quote or backslash.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
