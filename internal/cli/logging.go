package cli

import (
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logTimeLayout is RFC 3339 in UTC with milliseconds of fixed width, so
// that the lines of one file sort as text.
const logTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// newLogger builds the logger of chatflow serve: JSON lines on w at level
// and above, with zap's production field names (ts, level, logger, caller,
// msg) but an RFC 3339 UTC timestamp instead of epoch seconds.
//
// Unlike zap's production configuration it never samples: the request log
// is one line per request, and an operator counting requests, following a
// request id or auditing an incident needs every line (zap's default
// sampler kept 103 of 400 request lines in a second). The other lines
// are few and already rate-limited where they repeat (retries back off).
// Stack traces are kept for DPanic and above: an error line's stack is
// the logging call's own (the request middleware), which says nothing;
// the cause is in its "error" field.
func newLogger(w io.Writer, level zapcore.Level) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = func(t time.Time, pae zapcore.PrimitiveArrayEncoder) {
		pae.AppendString(t.UTC().Format(logTimeLayout))
	}
	sink := zapcore.Lock(zapcore.AddSync(w))
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), sink, level)
	return zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.DPanicLevel), zap.ErrorOutput(sink))
}

// parseLogLevel parses --log-level: debug, info, warn or error.
func parseLogLevel(s string) (zapcore.Level, error) {
	switch s {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info", "":
		return zapcore.InfoLevel, nil
	case "warn", "warning":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return 0, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", s)
}
