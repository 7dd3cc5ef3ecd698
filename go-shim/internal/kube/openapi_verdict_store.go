package kube

// The OpenAPI verdicts (openapi_cache.go) kept on disk for later processes.
//
// The process-wide cache spares a run all but one parse of each
// GroupVersion's OpenAPI document, but every run still paid that one: api/v1
// alone is 1.6 MB of JSON, and parsing the documents of a chart's few
// GroupVersions was a seventh of the CPU of a no-op diff of 100 releases,
// and most of a one-release diff's. A verdict depends on nothing but the
// document, and the document URL the server publishes carries a digest of
// the document (?hash=), so a verdict filed under that URL can be trusted
// by any later process, whatever the server: a changed schema is a new URL.
//
// The files live in helmfire's cache (CacheDir/openapi-verdicts), one per
// document URL, one line per kind: "<Kind> supported" or "<Kind>
// unsupported". They hold nothing of the cluster but schema digests and
// kind names. A file that cannot be read or parsed is ignored (the document
// is parsed, as without the store), and a write that fails is dropped.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/proofstore"
)

// verdictSubdir is the store's directory under helmfire's cache.
const verdictSubdir = "openapi-verdicts"

// verdictStoreDir is where verdicts are kept; nil or "" keeps none.
var verdictStoreDir atomic.Pointer[string]

// openAPIStoreHits counts the verdicts read from disk, for tests.
var openAPIStoreHits atomic.Int64

// CleanupOpenAPIVerdicts removes the verdicts under cacheDir written before
// cutoff (all of them when cutoff is zero): `helmfire cache cleanup`.
func CleanupOpenAPIVerdicts(cacheDir string, cutoff time.Time) (int, error) {
	return proofstore.RemoveOlder(filepath.Join(cacheDir, verdictSubdir), cutoff)
}

// KeepOpenAPIVerdictsIn makes this process read and keep OpenAPI verdicts
// under cacheDir, helmfire's cache; "" or a relative path keeps none.
func KeepOpenAPIVerdictsIn(cacheDir string) {
	dir := ""
	if filepath.IsAbs(cacheDir) {
		dir = filepath.Join(cacheDir, verdictSubdir)
	}
	verdictStoreDir.Store(&dir)
}

// verdictFile is the file of the document at url, "" when none is kept:
// also when the URL carries no digest (an aggregated API server may publish
// its documents without one), as the URL alone then says nothing of the
// document.
func verdictFile(url string) string {
	dir := verdictStoreDir.Load()
	if dir == nil || *dir == "" {
		return ""
	}
	if u, err := neturl.Parse(url); err != nil || u.Query().Get("hash") == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(*dir, hex.EncodeToString(sum[:]))
}

// readVerdicts is the file's verdicts by kind (true: supported).
func readVerdicts(file string) map[string]bool {
	verdicts := map[string]bool{}
	f, err := os.Open(file)
	if err != nil {
		return verdicts
	}
	defer func() { _ = f.Close() }()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		kind, verdict, ok := strings.Cut(lines.Text(), " ")
		if !ok || kind == "" || (verdict != "supported" && verdict != "unsupported") {
			return map[string]bool{} // not ours, or torn: trust none of it
		}
		verdicts[kind] = verdict == "supported"
	}
	if lines.Err() != nil {
		return map[string]bool{}
	}
	return verdicts
}

// storedVerdict is the verdict kept for kind in the document at url.
func storedVerdict(url, kind string) (supported, known bool) {
	file := verdictFile(url)
	if file == "" {
		return false, false
	}
	supported, known = readVerdicts(file)[kind]
	if known {
		openAPIStoreHits.Add(1)
	}
	return supported, known
}

// storeVerdict keeps kind's verdict for the document at url. Processes
// writing one file at once each replace it whole (a rename), so one may
// lose the other's line: that kind is parsed again later, never misread.
func storeVerdict(url, kind string, supported bool) {
	file := verdictFile(url)
	if file == "" {
		return
	}
	verdicts := readVerdicts(file)
	verdicts[kind] = supported
	var b strings.Builder
	for k, s := range verdicts {
		b.WriteString(k)
		if s {
			b.WriteString(" supported\n")
		} else {
			b.WriteString(" unsupported\n")
		}
	}
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(b.String())
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), file) != nil {
		_ = os.Remove(tmp.Name())
	}
}
