// Package proofstore keeps sets of SHA-256 digests on disk, one small file
// per subject, under helmfire's cache (CacheDir/diff-proofs): what the diff
// proved about objects in earlier runs (internal/diff/proofs.go says what
// a digest covers). A missing or damaged file reads as an empty set: the
// store only ever saves work, it never decides a result.
package proofstore

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Subdir is the store's directory under helmfire's cache.
const Subdir = "diff-proofs"

// File is the set of digests of one subject.
type File struct {
	path  string
	known map[string]bool
}

// Open reads the set of subject (any string naming it) from the store in
// cacheDir; with an empty cacheDir the set is empty and never saved.
func Open(cacheDir, subject string) *File {
	f := &File{known: map[string]bool{}}
	if cacheDir == "" {
		return f
	}
	name := sha256.Sum256([]byte(subject))
	f.path = filepath.Join(cacheDir, Subdir, "set-"+hex.EncodeToString(name[:16]))
	file, err := os.Open(f.path)
	if err != nil {
		return f
	}
	defer file.Close()
	lines := bufio.NewScanner(file)
	for lines.Scan() {
		if line := lines.Text(); len(line) == sha256.Size*2 {
			f.known[line] = true
		}
	}
	return f
}

// Enabled tells whether the set is kept on disk.
func (f *File) Enabled() bool { return f.path != "" }

// Has tells whether digest was in the set when it was opened.
func (f *File) Has(digest string) bool { return f.known[digest] }

// Replace makes digests the subject's set, writing only when it differs.
// Written beside and renamed: a reader never sees half a file, and a
// failure only costs the next run the work the set would have saved.
func (f *File) Replace(digests []string) {
	if f.path == "" {
		return
	}
	digests = slices.Clone(digests)
	slices.Sort(digests)
	digests = slices.Compact(digests)
	if len(digests) == len(f.known) && !slices.ContainsFunc(digests, func(d string) bool { return !f.known[d] }) {
		return
	}
	if len(digests) == 0 {
		_ = os.Remove(f.path)
		return
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := fmt.Fprintln(tmp, strings.Join(digests, "\n"))
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), f.path) != nil {
		_ = os.Remove(tmp.Name())
	}
}

// CurrentSince returns since when condition (a digest naming the
// conditions proofs depend on) has been the one seen for subject (say, a
// cluster), recording now when the last one seen was another. The zero
// time means it cannot tell (no store, or it cannot be written).
func CurrentSince(cacheDir, subject, condition string) time.Time {
	if cacheDir == "" {
		return time.Time{}
	}
	dir := filepath.Join(cacheDir, Subdir)
	name := sha256.Sum256([]byte(subject))
	path := filepath.Join(dir, "current-"+hex.EncodeToString(name[:16]))
	if last, err := os.ReadFile(path); err == nil && string(last) == condition {
		if info, err := os.Stat(path); err == nil {
			return info.ModTime()
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return time.Time{}
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return time.Time{}
	}
	_, werr := tmp.WriteString(condition)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		_ = os.Remove(tmp.Name())
		return time.Time{}
	}
	return time.Now()
}

// Cleanup removes the sets under cacheDir written before cutoff (all of
// them when cutoff is zero) and returns how many it removed.
func Cleanup(cacheDir string, cutoff time.Time) (int, error) {
	return RemoveOlder(filepath.Join(cacheDir, Subdir), cutoff)
}

// RemoveOlder removes the files of dir written before cutoff (all of them
// when cutoff is zero) and returns how many it removed; a missing dir is
// empty. Other stores of small files in helmfire's cache use it too.
func RemoveOlder(dir string, cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, entry := range entries {
		info, err := entry.Info()
		if err != nil || (!cutoff.IsZero() && info.ModTime().After(cutoff)) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, entry.Name())); err == nil {
			removed++
		}
	}
	return removed, nil
}
