package chartcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustPut(t *testing.T, s *Store, r Ref, data string) Entry {
	t.Helper()
	e, err := s.Put(r, "app", []byte(data), "")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// dirEntries lists a directory of the cache, relative to its root.
func dirEntries(t *testing.T, s *Store, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Root(), dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// backdate rewrites a reference as if it had been fetched at when.
func backdate(t *testing.T, s *Store, r Ref, when time.Time) {
	t.Helper()
	data, err := os.ReadFile(s.refPath(r))
	if err != nil {
		t.Fatal(err)
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	e.Fetched = when
	if data, err = json.Marshal(e); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.refPath(r), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenNeedsAnAbsoluteRoot(t *testing.T) {
	for _, root := range []string{"", "relative/cache", "./cache"} {
		if _, err := Open(root); err == nil {
			t.Errorf("Open(%q) succeeded", root)
		}
	}
	root := filepath.Join(t.TempDir(), "nested", "cache")
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"blobs/sha256", "refs", "tmp"} {
		if info, err := os.Stat(filepath.Join(root, dir)); err != nil || !info.IsDir() {
			t.Errorf("Open did not create %s: %v", dir, err)
		}
	}
}

func TestPutThenGet(t *testing.T) {
	s := openStore(t)
	ref := Ref{Source: "https://charts.example/app", Version: "1.2.3"}
	data := []byte("an archive")
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])

	// A chart repository's index announces the bare hex digest, sometimes
	// in upper case.
	put, err := s.Put(ref, "app", data, strings.ToUpper(hex.EncodeToString(sum[:])))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := s.Get(ref)
	if !ok {
		t.Fatal("Get missed a reference just Put")
	}
	if got.Digest != digest || put.Digest != digest || Digest(data) != digest {
		t.Errorf("digests: put %s, get %s, Digest %s, want %s", put.Digest, got.Digest, Digest(data), digest)
	}
	if got.Path != put.Path || got.Path != filepath.Join(s.Root(), "blobs", "sha256", hex.EncodeToString(sum[:])+".tgz") {
		t.Errorf("path %s (put %s)", got.Path, put.Path)
	}
	stored, err := os.ReadFile(got.Path)
	if err != nil || string(stored) != string(data) {
		t.Errorf("stored archive %q, %v", stored, err)
	}
	if got.Size != int64(len(data)) || got.Name != "app" || got.Source != ref.Source || got.Version != ref.Version {
		t.Errorf("entry %+v", got)
	}
	if time.Since(got.Fetched) > time.Minute {
		t.Errorf("fetched at %s", got.Fetched)
	}
	// Another version of the same source is another reference.
	if _, ok := s.Get(Ref{Source: ref.Source, Version: "1.2.4"}); ok {
		t.Error("Get found a version never Put")
	}
	if len(dirEntries(t, s, "tmp")) != 0 {
		t.Errorf("tmp/ keeps %v", dirEntries(t, s, "tmp"))
	}
}

func TestPutWithTheWrongDigestStoresNothing(t *testing.T) {
	s := openStore(t)
	ref := Ref{Source: "oci://registry.example/charts/app", Version: "1.0.0"}
	_, err := s.Put(ref, "app", []byte("tampered"), Digest([]byte("original")))
	if err == nil {
		t.Fatal("Put accepted bytes that do not match the announced digest")
	}
	if _, ok := s.Get(ref); ok {
		t.Error("Get found the rejected archive")
	}
	for _, dir := range []string{"blobs/sha256", "refs", "tmp"} {
		if names := dirEntries(t, s, dir); len(names) != 0 {
			t.Errorf("%s holds %v", dir, names)
		}
	}
}

func TestGetMissesWhenTheArchiveIsGone(t *testing.T) {
	s := openStore(t)
	ref := Ref{Source: "https://charts.example/app", Version: "1.0.0"}
	e := mustPut(t, s, ref, "archive")
	if err := os.Remove(e.Path); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get(ref); ok {
		t.Error("Get returned an entry whose archive was deleted")
	}
	// A truncated archive is not a hit either.
	e = mustPut(t, s, ref, "archive")
	if err := os.WriteFile(e.Path, []byte("arch"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get(ref); ok {
		t.Error("Get returned an entry whose archive was truncated")
	}
}

func TestLockSerializesOneReference(t *testing.T) {
	s := openStore(t)
	ref := Ref{Source: "https://charts.example/app", Version: "1.0.0"}
	unlock, err := s.Lock(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}

	type locked struct {
		unlock func()
		err    error
	}
	second := make(chan locked, 1)
	go func() {
		u, err := s.Lock(context.Background(), ref)
		second <- locked{u, err}
	}()
	// Several polling rounds of Lock (20ms each) pass without the second
	// taker getting the lock.
	select {
	case l := <-second:
		t.Fatalf("the second Lock returned while the first was held (err %v)", l.err)
	case <-time.After(300 * time.Millisecond):
	}

	// Another reference is not held up by this one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	other, err := s.Lock(ctx, Ref{Source: ref.Source, Version: "2.0.0"})
	if err != nil {
		t.Fatalf("locking another reference: %v", err)
	}
	other()

	unlock()
	select {
	case l := <-second:
		if l.err != nil {
			t.Fatal(l.err)
		}
		l.unlock()
	case <-time.After(5 * time.Second):
		t.Fatal("the second Lock did not get the lock after the first was released")
	}
}

func TestLockWaitIsCancelled(t *testing.T) {
	s := openStore(t)
	ref := Ref{Source: "https://charts.example/app", Version: "1.0.0"}
	unlock, err := s.Lock(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	u, err := s.Lock(ctx, ref)
	if err == nil {
		u()
		t.Fatal("Lock got a lock held by someone else")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock failed with %v, want context.Canceled", err)
	}
	if waited := time.Since(start); waited < 90*time.Millisecond || waited > 5*time.Second {
		t.Errorf("Lock gave up after %s, want about 100ms", waited)
	}
}

func TestVersionsAndList(t *testing.T) {
	s := openStore(t)
	refs := []Ref{
		{Source: "https://b.example/app", Version: "1.0.0"},
		{Source: "https://a.example/app", Version: "2.0.0"},
		{Source: "https://a.example/app", Version: "1.0.0"},
	}
	for _, r := range refs {
		mustPut(t, s, r, r.Source+r.Version)
	}
	// A reference whose archive is gone is not listed.
	gone := mustPut(t, s, Ref{Source: "https://a.example/app", Version: "3.0.0"}, "gone")
	if err := os.Remove(gone.Path); err != nil {
		t.Fatal(err)
	}

	var listed []Ref
	for _, e := range s.List() {
		listed = append(listed, Ref{e.Source, e.Version})
		if e.Path == "" {
			t.Errorf("listed entry %+v has no path", e)
		}
	}
	want := []Ref{refs[2], refs[1], refs[0]} // by source, then version
	if len(listed) != len(want) {
		t.Fatalf("List: %v, want %v", listed, want)
	}
	for i := range want {
		if listed[i] != want[i] {
			t.Fatalf("List: %v, want %v", listed, want)
		}
	}

	versions := s.Versions("https://a.example/app")
	if len(versions) != 2 || versions[0].Version != "1.0.0" || versions[1].Version != "2.0.0" {
		t.Errorf("Versions: %+v", versions)
	}
	if v := s.Versions("https://c.example/app"); len(v) != 0 {
		t.Errorf("Versions of an unknown source: %+v", v)
	}
}

func TestUsage(t *testing.T) {
	s := openStore(t)
	if u := s.Usage(); u != (Usage{Root: s.Root()}) {
		t.Errorf("empty cache: %+v", u)
	}
	// Two references sharing one archive, one with its own, an orphan
	// archive and a leftover temporary file.
	mustPut(t, s, Ref{"https://a.example/app", "1.0.0"}, "shared")
	mustPut(t, s, Ref{"https://mirror.example/app", "1.0.0"}, "shared")
	mustPut(t, s, Ref{"https://a.example/app", "2.0.0"}, "second")
	orphan, _ := s.BlobPath(Digest([]byte("orphan")))
	if err := os.WriteFile(orphan, []byte("orphan"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Root(), "tmp", "partial"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := Usage{
		Root: s.Root(), Charts: 3, Archives: 3, Orphans: 1, TempFiles: 1,
		Bytes: int64(len("shared") + len("second") + len("orphan")),
	}
	if u := s.Usage(); u != want {
		t.Errorf("usage %+v, want %+v", u, want)
	}
}

func TestCleanupWithoutCutoffRemovesEverything(t *testing.T) {
	s := openStore(t)
	a := mustPut(t, s, Ref{"https://a.example/app", "1.0.0"}, "one")
	b := mustPut(t, s, Ref{"https://a.example/app", "2.0.0"}, "three")
	removed, bytes, err := s.Cleanup(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if removed != 2 || bytes != a.Size+b.Size {
		t.Errorf("removed %d archives, %d bytes; want 2, %d", removed, bytes, a.Size+b.Size)
	}
	for _, dir := range []string{"blobs/sha256", "refs"} {
		if names := dirEntries(t, s, dir); len(names) != 0 {
			t.Errorf("%s still holds %v", dir, names)
		}
	}
	if l := s.List(); len(l) != 0 {
		t.Errorf("List after cleanup: %+v", l)
	}
}

func TestCleanupWithCutoff(t *testing.T) {
	s := openStore(t)
	oldRef := Ref{"https://a.example/app", "1.0.0"}
	newRef := Ref{"https://a.example/app", "2.0.0"}
	old := mustPut(t, s, oldRef, "old archive")
	recent := mustPut(t, s, newRef, "recent archive")
	backdate(t, s, oldRef, time.Now().Add(-time.Hour))

	// An unnamed archive older than a minute is an orphan; a younger one
	// may be another process's Put that has not written its ref yet.
	orphan, _ := s.BlobPath(Digest([]byte("orphan")))
	youngOrphan, _ := s.BlobPath(Digest([]byte("young orphan")))
	for path, data := range map[string]string{orphan: "orphan", youngOrphan: "young orphan"} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A temporary file older than a minute is a crashed write; a younger
	// one may be a write in progress.
	staleTmp := filepath.Join(s.Root(), "tmp", "stale")
	youngTmp := filepath.Join(s.Root(), "tmp", "young")
	for _, f := range []string{staleTmp, youngTmp} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	twoMinutesAgo := time.Now().Add(-2 * time.Minute)
	for _, f := range []string{staleTmp, orphan} {
		if err := os.Chtimes(f, twoMinutesAgo, twoMinutesAgo); err != nil {
			t.Fatal(err)
		}
	}

	removed, bytes, err := s.Cleanup(time.Now().Add(-30 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if want := old.Size + int64(len("orphan")); removed != 2 || bytes != want {
		t.Errorf("removed %d archives, %d bytes; want 2, %d", removed, bytes, want)
	}
	if _, ok := s.Get(oldRef); ok {
		t.Error("the reference fetched an hour ago survived")
	}
	for _, gone := range []string{old.Path, orphan, s.refPath(oldRef), staleTmp} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was not removed (%v)", gone, err)
		}
	}
	if _, err := os.Stat(youngOrphan); err != nil {
		t.Errorf("a young unnamed archive was removed: %v", err)
	}
	if e, ok := s.Get(newRef); !ok || e.Path != recent.Path {
		t.Errorf("the recent reference was removed: %+v, %v", e, ok)
	}
	if _, err := os.Stat(youngTmp); err != nil {
		t.Errorf("the young temporary file was removed: %v", err)
	}
}

// tamper rewrites an archive in place with other bytes of the same length
// and gives it a new modification time, as an editor or a bad disk would.
func tamper(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func TestLookupDropsATamperedArchiveOfTheSameSize(t *testing.T) {
	s := openStore(t)
	r := Ref{Source: "oci://r/app", Version: "1.0.0"}
	e := mustPut(t, s, r, "archive bytes")
	if _, ok := s.Get(r); !ok {
		t.Fatal("a fresh entry is a hit")
	}
	tamper(t, e.Path)

	_, ok, dropped := s.Lookup(r)
	if ok || dropped == nil {
		t.Fatalf("a tampered archive must not be served: ok=%v dropped=%v", ok, dropped)
	}
	for _, want := range []string{"oci://r/app", "1.0.0", "damaged", "sha256"} {
		if !strings.Contains(dropped.Error(), want) {
			t.Errorf("the message %q does not say %q", dropped, want)
		}
	}
	if _, err := os.Stat(e.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the damaged archive is still in the cache: %v", err)
	}
	if _, ok, dropped := s.Lookup(r); ok || dropped != nil {
		t.Errorf("after the drop the entry is a plain miss: ok=%v dropped=%v", ok, dropped)
	}
}

func TestLookupDropsATruncatedArchive(t *testing.T) {
	s := openStore(t)
	r := Ref{Source: "oci://r/app", Version: "1.0.0"}
	e := mustPut(t, s, r, "archive bytes")
	if err := os.WriteFile(e.Path, []byte("arch"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, dropped := s.Lookup(r); ok || dropped == nil || !strings.Contains(dropped.Error(), "bytes") {
		t.Fatalf("a truncated archive is dropped with its size named: ok=%v dropped=%v", ok, dropped)
	}
}

func TestPutRepairsADamagedArchiveItWouldReuse(t *testing.T) {
	s := openStore(t)
	r := Ref{Source: "oci://r/app", Version: "1.0.0"}
	e := mustPut(t, s, r, "archive bytes")
	tamper(t, e.Path)
	// Another reference to the same bytes must not adopt the damaged file.
	other := Ref{Source: "oci://r/app", Version: "1.0.1"}
	if _, err := s.Put(other, "app", []byte("archive bytes"), ""); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(e.Path)
	if err != nil || string(got) != "archive bytes" {
		t.Fatalf("Put rewrites a damaged archive: %q, %v", got, err)
	}
}
