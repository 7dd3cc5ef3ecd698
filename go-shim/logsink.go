package main

/*
#include <stddef.h>
#include <stdint.h>

typedef void (*helmfire_log_fn)(int32_t level, const char *message, size_t len);

// Go cannot call a C function pointer directly; this trampoline does. It lives
// in a file without //export because cgo forbids C definitions there.
static inline void helmfire_emit_log(helmfire_log_fn sink, int32_t level, const char *message, size_t len) {
	sink(level, message, len);
}
*/
import "C"

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"unsafe"

	"k8s.io/klog/v2"

	"github.com/helmfire/helmfire/go-shim/internal/redact"
)

// sinkState is swapped atomically so that log lines emitted by goroutines of
// one call never race with a change of sink from another thread.
type sinkState struct {
	fn       C.helmfire_log_fn
	minLevel slog.Level
}

var currentSink atomic.Pointer[sinkState]

func setLogSink(fn C.helmfire_log_fn, minLevel int32) {
	if fn == nil {
		currentSink.Store(nil)
		return
	}
	currentSink.Store(&sinkState{fn: fn, minLevel: slog.Level(minLevel)})
}

// emitLog hands one formatted line to the Rust sink, if there is one.
func emitLog(level slog.Level, line []byte) {
	s := currentSink.Load()
	if s == nil || level < s.minLevel || len(line) == 0 {
		return
	}
	C.helmfire_emit_log(s.fn, C.int32_t(level), (*C.char)(unsafe.Pointer(&line[0])), C.size_t(len(line)))
}

// sinkHandler is the slog.Handler given to the Helm SDK. It formats records
// as logfmt without a timestamp (Rust prefixes its own) and forwards them.
type sinkHandler struct {
	attrs []slog.Attr
	group string
}

func newSinkHandler() slog.Handler { return &sinkHandler{} }

func (h *sinkHandler) Enabled(_ context.Context, level slog.Level) bool {
	s := currentSink.Load()
	return s != nil && level >= s.minLevel
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *sinkHandler) Handle(_ context.Context, r slog.Record) error {
	buf, ok := bufferPool.Get().(*bytes.Buffer)
	if !ok {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer bufferPool.Put(buf)
	line, err := h.format(buf, r)
	if err != nil {
		return err
	}
	emitLog(r.Level, line)
	return nil
}

// format writes the line of a record into buf and returns it: the message
// first, unquoted, then the attributes as logfmt, without the final
// newline. Log lines quote URLs (repositories, registries, the API
// server): the credentials in them never reach the sink.
func (h *sinkHandler) format(buf *bytes.Buffer, r slog.Record) ([]byte, error) {
	buf.WriteString(r.Message)
	text := slog.NewTextHandler(buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	var handler slog.Handler = text
	if h.group != "" {
		handler = handler.WithGroup(h.group)
	}
	if len(h.attrs) > 0 {
		handler = handler.WithAttrs(h.attrs)
	}
	attrs := slog.NewRecord(r.Time, r.Level, "", r.PC)
	r.Attrs(func(a slog.Attr) bool { attrs.AddAttrs(a); return true })
	if attrs.NumAttrs() > 0 || len(h.attrs) > 0 {
		buf.WriteByte(' ')
		if err := handler.Handle(context.Background(), attrs); err != nil {
			return nil, err
		}
	}
	return redact.Bytes(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

func (h *sinkHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	merged := append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &sinkHandler{attrs: merged, group: h.group}
}

func (h *sinkHandler) WithGroup(name string) slog.Handler {
	return &sinkHandler{attrs: h.attrs, group: name}
}

func init() {
	// The sink is the process's one log destination (style item 17): the
	// SDK logs through the package-level slog functions, the feature
	// packages pass slog.Default().Handler() to the Configurations they
	// make, and client-go logs through klog, which writes to stderr unless
	// told otherwise.
	slog.SetDefault(slog.New(newSinkHandler()))
	klog.SetSlogLogger(slog.New(newSinkHandler()))
}
