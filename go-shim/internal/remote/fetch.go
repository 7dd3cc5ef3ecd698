package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	gcs "github.com/hashicorp/go-getter/gcs/v2"
	getter "github.com/hashicorp/go-getter/v2"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/filelock"
	"github.com/helmfire/helmfire/go-shim/internal/safe"
)

// FetchParams asks for one remote source.
type FetchParams struct {
	Source string `json:"source"`
	// CacheDir is helmfire's cache; sources live under CacheDir/sources.
	CacheDir string `json:"cache_dir"`
	// Kind separates what is fetched: "states", "values" or "charts".
	Kind string `json:"kind"`
	// Run numbers the caller's run: a `?cache=false` source is fetched
	// afresh once per run.
	Run uint64 `json:"run"`
	// IgnoreMissingGitBranch turns a ref that does not exist into a
	// missing file (helmfile's missingFileHandlerConfig).
	IgnoreMissingGitBranch bool `json:"ignore_missing_git_branch,omitempty"`
	// DisableInsecure is HELMFILE_DISABLE_INSECURE_FEATURES: no remote
	// sources at all.
	DisableInsecure bool `json:"disable_insecure,omitempty"`
}

// FetchResult is where the source's file is in the cache.
type FetchResult struct {
	// Path is the file (or directory, or glob pattern) the reference names.
	Path string `json:"path"`
	// Missing tells that the ref does not exist and that this was to be
	// ignored: the file counts as missing.
	Missing bool `json:"missing,omitempty"`
	// Fetched tells that the network was used.
	Fetched bool `json:"fetched,omitempty"`
}

// Fetch makes sure the cache holds what the reference names, downloading it
// once (across goroutines and processes), and returns its path. As in
// helmfile, what is cached is used until it is removed (`helmfire cache
// cleanup`), except `?cache=false` sources, fetched afresh on each run.
func Fetch(ctx context.Context, p FetchParams) (FetchResult, error) {
	src, err := Parse(p.Source)
	if err != nil {
		return FetchResult{}, fault.Newf(fault.KindBadRequest, "%v", err)
	}
	if p.DisableInsecure {
		return FetchResult{}, fault.Newf(fault.KindRepository,
			"%s is a remote source, and remote sources are disabled by HELMFILE_DISABLE_INSECURE_FEATURES", src)
	}
	if !filepath.IsAbs(p.CacheDir) || !validKind(p.Kind) {
		return FetchResult{}, fault.Newf(fault.KindBadRequest, "fetching %s: cache_dir must be absolute and kind one of states, values, charts", src)
	}
	entry := filepath.Join(p.CacheDir, "sources", p.Kind, entryName(src))
	result := FetchResult{Path: filepath.Join(entry, filepath.FromSlash(src.File))}
	if fresh(entry, src, p.Run) {
		return result, nil
	}
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		return FetchResult{}, fault.Newf(fault.KindIO, "creating the source cache %s: %v", filepath.Dir(entry), err)
	}
	unlock, err := filelock.Acquire(ctx, entry+".lock")
	if err != nil {
		if ctx.Err() != nil {
			return FetchResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
		}
		return FetchResult{}, fault.Newf(fault.KindIO, "%v", err)
	}
	defer unlock()
	if fresh(entry, src, p.Run) {
		return result, nil
	}
	if err := download(ctx, src, entry); err != nil {
		if ctx.Err() != nil {
			return FetchResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
		}
		if p.IgnoreMissingGitBranch && missingRef(err) {
			result.Missing = true
			return result, nil
		}
		return FetchResult{}, describe(src, err)
	}
	fetchedIn.remember(entry, p.Run)
	result.Fetched = true
	return result, nil
}

func validKind(kind string) bool {
	return kind == "states" || kind == "values" || kind == "charts"
}

// entryName is a readable name for what the source downloads (host and
// directory) plus a hash of everything that tells sources apart (getter,
// credentials, query).
func entryName(s Source) string {
	sum := sha256.Sum256([]byte(s.getterURL()))
	readable := unsafeChars.ReplaceAllString(s.Host+s.Dir, "_")
	readable = strings.Trim(readable, "_")
	if len(readable) > 60 {
		readable = readable[len(readable)-60:]
	}
	return readable + "-" + hex.EncodeToString(sum[:6])
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fresh tells that the cache entry can be used as it is.
func fresh(entry string, s Source, run uint64) bool {
	info, err := os.Stat(entry)
	if err != nil || !info.IsDir() {
		return false
	}
	return !s.noCache() || fetchedIn.has(entry, run)
}

// fetchedIn remembers which `?cache=false` entries this process fetched in
// which run.
var fetchedIn = runMemory{entries: map[string]uint64{}}

type runMemory struct {
	mu      sync.Mutex
	entries map[string]uint64
}

func (m *runMemory) remember(entry string, run uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[entry] = run
}

func (m *runMemory) has(entry string, run uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	got, ok := m.entries[entry]
	return ok && got == run
}

// download fetches the source into a new directory beside entry, then puts
// it in entry's place: a reader never sees half a download.
func download(ctx context.Context, s Source, entry string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(entry), filepath.Base(entry)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// go-getter wants to create its destination itself.
	dst := filepath.Join(tmp, "d")
	done := safe.Go(func() error {
		switch {
		case s.Scheme == "s3" || s.Getter == "s3":
			return getS3(ctx, s, dst)
		case s.plain():
			return getFile(ctx, s, dst)
		default:
			return getDir(ctx, s, dst)
		}
	})
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	old := entry + ".old"
	_ = os.RemoveAll(old)
	if _, err := os.Stat(entry); err == nil {
		if err := os.Rename(entry, old); err != nil {
			return err
		}
	}
	if err := os.Rename(dst, entry); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// getDir downloads with go-getter: a git repository, an archive, a
// directory.
func getDir(ctx context.Context, s Source, dst string) error {
	if s.Getter == "git" {
		if clone := ownGitClone(s); clone != nil {
			return clone(ctx, dst)
		}
	}
	client := &getter.Client{Getters: getters(), Decompressors: getter.Decompressors}
	_, err := client.Get(ctx, &getter.Request{Src: s.getterURL(), Dst: dst, GetMode: getter.ModeAny})
	return err
}

// getters are go-getter's, as helmfile uses them, plus Google Cloud
// Storage (`gcs::https://www.googleapis.com/storage/v1/bucket/path`).
func getters() []getter.Getter {
	return append([]getter.Getter{new(gcs.Getter)}, getter.Getters...)
}

// getFile downloads one file over HTTP(S), as helmfile's HttpGetter does.
func getFile(ctx context.Context, s Source, dst string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.getterURL(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the server answered %s", resp.Status)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dst, filepath.Base(s.File)))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// missingRef tells a git ref (branch or tag) that does not exist.
func missingRef(err error) bool {
	text := err.Error()
	return strings.Contains(text, "did not match any file(s) known to git") ||
		strings.Contains(text, "not found in upstream origin") ||
		strings.Contains(text, "couldn't find remote ref")
}

// describe says which source could not be fetched and why, credentials
// masked.
func describe(s Source, err error) error {
	text := err.Error()
	if s.User != nil {
		if password, ok := s.User.Password(); ok && password != "" {
			text = strings.ReplaceAll(text, password, "***")
		}
	}
	for key, values := range s.Query {
		if sensitiveParameter(key) {
			for _, v := range values {
				if v != "" {
					text = strings.ReplaceAll(text, v, "***")
				}
			}
		}
	}
	if missingRef(err) {
		return fault.Newf(fault.KindRepository, "cannot fetch %s: the ref does not exist (%s)", s, oneLine(text)).With("source", s.String())
	}
	return fault.Newf(fault.KindRepository, "cannot fetch %s: %s", s, oneLine(text)).With("source", s.String())
}

func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}

// Cleanup removes the fetched sources under cacheDir last fetched before
// cutoff (all of them for a zero cutoff), each under its lock so a fetch in
// progress is never cut short. It returns how many it removed.
func Cleanup(ctx context.Context, cacheDir string, cutoff time.Time) (int, error) {
	kinds, err := os.ReadDir(filepath.Join(cacheDir, "sources"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, kind := range kinds {
		dir := filepath.Join(cacheDir, "sources", kind.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			return removed, err
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !e.IsDir() || strings.Contains(e.Name(), ".tmp-") || strings.HasSuffix(e.Name(), ".old") {
				continue
			}
			if !cutoff.IsZero() && info.ModTime().After(cutoff) {
				continue
			}
			entry := filepath.Join(dir, e.Name())
			unlock, err := filelock.Acquire(ctx, entry+".lock")
			if err != nil {
				return removed, err
			}
			err = os.RemoveAll(entry)
			unlock()
			if err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}
