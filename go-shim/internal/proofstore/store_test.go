package proofstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func digest(c string) string { return strings.Repeat(c, 64) }

func TestSetsRoundTripAndOnlyChangesAreWritten(t *testing.T) {
	dir := t.TempDir()
	f := Open(dir, "cluster\x00ns\x00app")
	if !f.Enabled() || f.Has(digest("a")) {
		t.Fatal("a new set is enabled and empty")
	}
	f.Replace([]string{digest("b"), digest("a"), digest("a")})
	again := Open(dir, "cluster\x00ns\x00app")
	if !again.Has(digest("a")) || !again.Has(digest("b")) || again.Has(digest("c")) {
		t.Fatalf("reread set: %v", again.known)
	}
	files, _ := filepath.Glob(filepath.Join(dir, Subdir, "set-*"))
	if len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(files[0], old, old); err != nil {
		t.Fatal(err)
	}
	again.Replace([]string{digest("a"), digest("b")})
	if info, _ := os.Stat(files[0]); !info.ModTime().Equal(old) {
		t.Error("the same set was written again")
	}
	again.Replace(nil)
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Error("an empty set leaves no file")
	}
	if Open("", "x").Enabled() {
		t.Error("no cache directory, no set")
	}
}

func TestDamagedSetsReadAsEmpty(t *testing.T) {
	dir := t.TempDir()
	f := Open(dir, "s")
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.path, []byte("short\n"+digest("a")[:63]+"\n\x00\x01"), 0o600); err != nil {
		t.Fatal(err)
	}
	if again := Open(dir, "s"); len(again.known) != 0 {
		t.Fatalf("damaged lines were read: %v", again.known)
	}
}

func TestCurrentSinceRestartsWhenTheConditionChanges(t *testing.T) {
	dir := t.TempDir()
	first := CurrentSince(dir, "server", "one")
	if first.IsZero() || time.Since(first) > time.Minute {
		t.Fatalf("first sight: %v", first)
	}
	files, _ := filepath.Glob(filepath.Join(dir, Subdir, "current-*"))
	old := time.Now().Add(-time.Hour)
	if len(files) != 1 || os.Chtimes(files[0], old, old) != nil {
		t.Fatalf("files: %v", files)
	}
	if got := CurrentSince(dir, "server", "one"); !got.Equal(old) {
		t.Errorf("unchanged condition: since %v, want %v", got, old)
	}
	if got := CurrentSince(dir, "server", "two"); time.Since(got) > time.Minute {
		t.Errorf("a changed condition starts afresh, got %v", got)
	}
	if got := CurrentSince(dir, "server", "one"); time.Since(got) > time.Minute {
		t.Errorf("a condition seen before but not current starts afresh, got %v", got)
	}
	if !CurrentSince("", "server", "one").IsZero() {
		t.Error("no cache directory: cannot tell")
	}
}

func TestCleanupRemovesOnlyOlderEntries(t *testing.T) {
	dir := t.TempDir()
	Open(dir, "old").Replace([]string{digest("a")})
	Open(dir, "new").Replace([]string{digest("b")})
	oldPath := Open(dir, "old").path
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(oldPath, old, old); err != nil {
		t.Fatal(err)
	}
	n, err := Cleanup(dir, time.Now().Add(-time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("cleanup: %d, %v", n, err)
	}
	if Open(dir, "old").Has(digest("a")) || !Open(dir, "new").Has(digest("b")) {
		t.Error("cleanup removed the wrong set")
	}
	if n, err := Cleanup(dir, time.Time{}); err != nil || n != 1 {
		t.Errorf("cleanup of everything: %d, %v", n, err)
	}
	if n, err := Cleanup(t.TempDir(), time.Time{}); err != nil || n != 0 {
		t.Errorf("no store: %d, %v", n, err)
	}
}
