package main

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

// A log line is the message then logfmt attributes, with the credentials
// of any URL in it hidden.
func TestLogLinesHideURLCredentials(t *testing.T) {
	h := (&sinkHandler{}).WithAttrs([]slog.Attr{slog.String("chart", "app")}).(*sinkHandler)
	r := slog.NewRecord(time.Now(), slog.LevelDebug, "fetching https://alice:s3cret@charts.example.com/index.yaml", 0)
	r.AddAttrs(slog.String("repository", "oci://bob:pw@registry.example.com/charts"), slog.Int("attempt", 2))
	line, err := h.format(new(bytes.Buffer), r)
	if err != nil {
		t.Fatal(err)
	}
	want := "fetching https://***@charts.example.com/index.yaml chart=app repository=oci://***@registry.example.com/charts attempt=2"
	if string(line) != want {
		t.Errorf("got  %s\nwant %s", line, want)
	}
}
