// Package chartcache is helmfire's chart cache: chart archives stored by the
// sha256 of their bytes, and references (a source and a version) that name
// them. It is shared by every command and every helmfire process on the
// machine, so:
//
//   - writes are atomic: an archive or a reference is written to a temporary
//     file in the cache and renamed into place, so a reader never sees half
//     a file, and a crash leaves at most an orphan temporary file that
//     Cleanup removes;
//   - fetching one reference is serialized across processes by a file lock
//     (flock) on the reference, so two processes needing the same chart
//     download it once: the second waits, then finds it cached;
//   - archives are verified against their digest before they are stored,
//     and again the first time a process reads them: a corrupted or
//     tampered archive is dropped (Lookup says so) and fetched again,
//     never rendered.
//
// Layout under the root:
//
//	blobs/sha256/<hex>.tgz   chart archives, named by content
//	refs/<key>.json          source + version -> digest (key: sha256 of both)
//	refs/<key>.lock          the reference's fetch lock
//	tmp/                     files being written
package chartcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/helmfire/helmfire/go-shim/internal/filelock"
)

// Store is a chart cache rooted at a directory.
type Store struct {
	root string
}

// Ref names a chart version at a source: an OCI repository
// ("oci://host/path/chart") or a chart repository URL plus the chart name
// ("https://charts.example/chart").
type Ref struct {
	Source  string
	Version string
}

// Entry is a cached chart version.
type Entry struct {
	Source  string    `json:"source"`
	Name    string    `json:"name"`
	Version string    `json:"version"`
	Digest  string    `json:"digest"`
	Size    int64     `json:"size"`
	Fetched time.Time `json:"fetched"`
	// Path is the archive's path (not stored: derived from the digest).
	Path string `json:"-"`
}

// Open opens (creating it if needed) the cache at root.
func Open(root string) (*Store, error) {
	if root == "" || !filepath.IsAbs(root) {
		return nil, fmt.Errorf("the chart cache needs an absolute directory, got %q", root)
	}
	for _, dir := range []string{"blobs/sha256", "refs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			return nil, fmt.Errorf("creating the chart cache %s: %w", root, err)
		}
	}
	return &Store{root: root}, nil
}

// Root is the cache directory.
func (s *Store) Root() string { return s.root }

func (r Ref) key() string {
	sum := sha256.Sum256([]byte(r.Source + "\x00" + r.Version))
	return hex.EncodeToString(sum[:])
}

func (s *Store) refPath(r Ref) string { return filepath.Join(s.root, "refs", r.key()+".json") }

// BlobPath is where the archive with this digest ("sha256:<hex>") lives.
func (s *Store) BlobPath(digest string) (string, error) {
	hexDigest, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexDigest) != 64 {
		return "", fmt.Errorf("not a sha256 digest: %q", digest)
	}
	if _, err := hex.DecodeString(hexDigest); err != nil {
		return "", fmt.Errorf("not a sha256 digest: %q", digest)
	}
	return filepath.Join(s.root, "blobs", "sha256", hexDigest+".tgz"), nil
}

// Get returns the cached entry of a reference when both the reference and
// its archive are present and intact; a damaged entry is dropped.
func (s *Store) Get(r Ref) (Entry, bool) {
	e, ok, _ := s.Lookup(r)
	return e, ok
}

// Lookup is Get that also says when it dropped a damaged entry: an archive
// whose bytes no longer hash to the digest it is named by (a corrupted disk,
// a tampered file, a truncated copy). The entry's reference and archive are
// removed so the caller fetches the chart again; dropped describes what was
// wrong, for the user.
func (s *Store) Lookup(r Ref) (e Entry, ok bool, dropped error) {
	data, err := os.ReadFile(s.refPath(r))
	if err != nil {
		return Entry{}, false, nil
	}
	if json.Unmarshal(data, &e) != nil || e.Source != r.Source || e.Version != r.Version {
		return Entry{}, false, nil
	}
	path, err := s.BlobPath(e.Digest)
	if err != nil {
		return Entry{}, false, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return Entry{}, false, nil
	}
	if err := verifyOnce(path, e.Digest, e.Size, info); err != nil {
		_ = os.Remove(path)
		_ = os.Remove(s.refPath(r))
		return Entry{}, false, fmt.Errorf("the cached archive of %s version %s was damaged (%v); it was removed from the cache %s", r.Source, r.Version, err, s.root)
	}
	e.Path = path
	return e, true, nil
}

// verified remembers the archives this process has hashed, by path, size
// and modification time: hashing a chart once per run costs little, hashing
// it for every release that uses it would not.
var verified sync.Map

type verifiedKey struct {
	path  string
	size  int64
	mtime time.Time
}

func verifyOnce(path, digest string, size int64, info fs.FileInfo) error {
	key := verifiedKey{path: path, size: info.Size(), mtime: info.ModTime()}
	if _, ok := verified.Load(key); ok {
		return nil
	}
	if info.Size() != size {
		return fmt.Errorf("it has %d bytes, %d were stored", info.Size(), size)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if got := Digest(data); got != digest {
		return fmt.Errorf("its sha256 is %s, its name says %s", got, digest)
	}
	verified.Store(key, struct{}{})
	return nil
}

// Versions lists the cached versions of a source, for resolving a version
// constraint without the network.
func (s *Store) Versions(source string) []Entry {
	var out []Entry
	for _, e := range s.List() {
		if e.Source == source {
			out = append(out, e)
		}
	}
	return out
}

// List is every cached reference whose archive is present, by source then
// version.
func (s *Store) List() []Entry {
	files, _ := filepath.Glob(filepath.Join(s.root, "refs", "*.json"))
	var out []Entry
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var e Entry
		if json.Unmarshal(data, &e) != nil {
			continue
		}
		if e, ok := s.Get(Ref{Source: e.Source, Version: e.Version}); ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		vi, errI := semver.NewVersion(out[i].Version)
		vj, errJ := semver.NewVersion(out[j].Version)
		if errI == nil && errJ == nil {
			return vi.LessThan(vj)
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// Lock takes the fetch lock of a reference, waiting for another process
// (or goroutine) that holds it; ctx cancels the wait.
func (s *Store) Lock(ctx context.Context, r Ref) (unlock func(), err error) {
	return filelock.Acquire(ctx, filepath.Join(s.root, "refs", r.key()+".lock"))
}

// Digest is the cache's name for some bytes: "sha256:<hex>".
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Put stores an archive for a reference. When want is not empty the bytes
// must have that digest; nothing is stored when they do not.
func (s *Store) Put(r Ref, name string, data []byte, want string) (Entry, error) {
	digest := Digest(data)
	if want != "" && !strings.EqualFold(strings.TrimPrefix(want, "sha256:"), strings.TrimPrefix(digest, "sha256:")) {
		return Entry{}, fmt.Errorf("the archive's digest is %s, but its source announced %s", digest, want)
	}
	path, _ := s.BlobPath(digest)
	if info, err := os.Stat(path); err != nil || verifyOnce(path, digest, int64(len(data)), info) != nil {
		// Absent, or present but damaged: (re)write it.
		if err := s.writeAtomic(path, data); err != nil {
			return Entry{}, err
		}
	} else {
		// Reused: refresh its time so a concurrent Cleanup, which spares
		// young unnamed archives, does not take it before the ref is written.
		now := time.Now()
		_ = os.Chtimes(path, now, now)
	}
	e := Entry{Source: r.Source, Name: name, Version: r.Version, Digest: digest, Size: int64(len(data)), Fetched: time.Now().UTC()}
	meta, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return Entry{}, err
	}
	if err := s.writeAtomic(s.refPath(r), meta); err != nil {
		return Entry{}, err
	}
	e.Path = path
	return e, nil
}

func (s *Store) writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing to the chart cache: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// Usage sums up the cache.
type Usage struct {
	Root      string `json:"root"`
	Charts    int    `json:"charts"`
	Archives  int    `json:"archives"`
	Bytes     int64  `json:"bytes"`
	Orphans   int    `json:"orphans"`
	TempFiles int    `json:"temp_files"`
}

// Usage counts references, archives, their size, archives no reference
// names (orphans) and leftover temporary files.
func (s *Store) Usage() Usage {
	u := Usage{Root: s.root}
	named := map[string]bool{}
	for _, e := range s.List() {
		u.Charts++
		named[e.Path] = true
	}
	blobs, _ := filepath.Glob(filepath.Join(s.root, "blobs", "sha256", "*.tgz"))
	for _, b := range blobs {
		u.Archives++
		if info, err := os.Stat(b); err == nil {
			u.Bytes += info.Size()
		}
		if !named[b] {
			u.Orphans++
		}
	}
	temps, _ := os.ReadDir(filepath.Join(s.root, "tmp"))
	u.TempFiles = len(temps)
	return u
}

// Cleanup removes references fetched before cutoff (all of them with a
// zero cutoff), then archives no reference names and temporary files older
// than a minute (a younger one may be a write in progress). It returns the
// number of archives and bytes removed.
func (s *Store) Cleanup(cutoff time.Time) (removed int, bytes int64, err error) {
	dropped := map[string]bool{}
	for _, e := range s.List() {
		if cutoff.IsZero() || e.Fetched.Before(cutoff) {
			dropped[e.Path] = true
			if rmErr := os.Remove(s.refPath(Ref{Source: e.Source, Version: e.Version})); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
				err = errors.Join(err, rmErr)
			}
		}
	}
	named := map[string]bool{}
	for _, e := range s.List() {
		named[e.Path] = true
	}
	blobs, _ := filepath.Glob(filepath.Join(s.root, "blobs", "sha256", "*.tgz"))
	for _, b := range blobs {
		if named[b] {
			continue
		}
		info, statErr := os.Stat(b)
		// An archive that was already unnamed and is younger than a minute
		// may be a Put in another process that has not written its ref yet.
		if !dropped[b] && statErr == nil && time.Since(info.ModTime()) < time.Minute {
			continue
		}
		if rmErr := os.Remove(b); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, rmErr)
			continue
		}
		removed++
		if statErr == nil {
			bytes += info.Size()
		}
	}
	// References whose archive is gone are dead weight.
	refs, _ := filepath.Glob(filepath.Join(s.root, "refs", "*.json"))
	for _, f := range refs {
		var e Entry
		if data, readErr := os.ReadFile(f); readErr == nil && json.Unmarshal(data, &e) == nil {
			if _, ok := s.Get(Ref{Source: e.Source, Version: e.Version}); ok {
				continue
			}
		}
		_ = os.Remove(f)
	}
	temps, _ := os.ReadDir(filepath.Join(s.root, "tmp"))
	for _, t := range temps {
		if info, infoErr := t.Info(); infoErr == nil && time.Since(info.ModTime()) > time.Minute {
			_ = os.Remove(filepath.Join(s.root, "tmp", t.Name()))
		}
	}
	return removed, bytes, err
}
