package tmpl

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// freshCompiledSets empties the process-wide cache for one test.
func freshCompiledSets(t *testing.T) {
	t.Helper()
	reset := func() {
		compiledSets.mu.Lock()
		clear(compiledSets.idle)
		compiledSets.cost = 0
		compiledSets.mu.Unlock()
	}
	reset()
	t.Cleanup(reset)
}

// keptSets counts the texts the cache holds and their idle sets.
func keptSets() (texts, sets int) {
	compiledSets.mu.Lock()
	defer compiledSets.mu.Unlock()
	for _, idle := range compiledSets.idle {
		texts++
		sets += len(idle)
	}
	return texts, sets
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Many renders of one file at once, from different directories, share its
// parsed sets, and each sees its own data, base directory (readFile),
// include count and tpl.
func TestReusedSetsServeEachRenderItsOwnFunctions(t *testing.T) {
	freshCompiledSets(t)
	const renders = 64
	dirs := make([]string, renders)
	for i := range dirs {
		dirs[i] = t.TempDir()
		writeFile(t, filepath.Join(dirs[i], "id.txt"), strings.Repeat("x", i))
	}
	text := `{{ define "mine" }}{{ . }}{{ end }}{{ readFile "id.txt" | len }}-{{ include "mine" .n }}-` +
		`{{ tpl "{{ .n }}" . }}`
	outs := make([]string, renders)
	errs := make([]error, renders)
	var wg sync.WaitGroup
	for round := range 3 {
		for i := range renders {
			wg.Go(func() {
				// Each round renders directory i with another directory's
				// data, so a set bound to an earlier render shows.
				n := (i + round) % renders
				opts := Options{BaseDir: dirs[i], Reusable: true}
				outs[i], errs[i] = Render(fileName, text, map[string]any{"n": n}, opts)
			})
		}
		wg.Wait()
		for i := range renders {
			n := strconv.Itoa((i + round) % renders)
			if want := strconv.Itoa(i) + "-" + n + "-" + n; errs[i] != nil || outs[i] != want {
				t.Errorf("round %d, render %d: %q, %v; want %q", round, i, outs[i], errs[i], want)
			}
		}
	}
	// The base directory is not part of the key: one text, and the tpl
	// texts are kept by none.
	if texts, sets := keptSets(); texts != 1 || sets < 1 || sets > maxIdlePerText {
		t.Errorf("the cache holds %d texts in %d sets; want 1 text in 1 to %d sets", texts, sets, maxIdlePerText)
	}
}

// A render that fails leaves its set usable, bound to the next render:
// one text rendered from two directories in turn reads each directory's
// file, and fails where the file is missing.
func TestAFailedRenderLeavesItsSetUsable(t *testing.T) {
	freshCompiledSets(t)
	withFile, without := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(withFile, "f.txt"), "here")
	text := `{{ readFile "f.txt" }}`
	for range 3 {
		if _, err := Render(fileName, text, nil, Options{BaseDir: without, Reusable: true}); err == nil {
			t.Fatal("readFile of a missing file rendered")
		}
		got, err := Render(fileName, text, nil, Options{BaseDir: withFile, Reusable: true})
		if err != nil || got != "here" {
			t.Fatalf("after a failed render: %q, %v", got, err)
		}
	}
	if texts, sets := keptSets(); texts != 1 || sets != 1 {
		t.Errorf("one text rendered one at a time: %d texts in %d sets; want 1 in 1", texts, sets)
	}
}

// Only texts the caller says are files on disk are kept: a decrypted or
// rendered text may hold a secret.
func TestOnlyReusableTextsAreKept(t *testing.T) {
	freshCompiledSets(t)
	dir := t.TempDir()
	if _, err := Render(fileName, "secret: {{ .s }}", map[string]any{"s": "x"}, Options{BaseDir: dir}); err != nil {
		t.Fatal(err)
	}
	if texts, _ := keptSets(); texts != 0 {
		t.Fatalf("a text not marked reusable was kept (%d texts)", texts)
	}
	large := strings.Repeat("a", maxCachedText+1)
	if _, err := Render(fileName, large, nil, Options{BaseDir: dir, Reusable: true}); err != nil {
		t.Fatal(err)
	}
	if texts, _ := keptSets(); texts != 0 {
		t.Fatalf("a text over %d bytes was kept", maxCachedText)
	}
}

// A set is keyed by all it is built from: a changed helper, text or
// DisableInsecure is a new set, never a stale one.
func TestChangedInputsAreNewSets(t *testing.T) {
	freshCompiledSets(t)
	dir := t.TempDir()
	helpers := filepath.Join(dir, "_helpers.tpl")
	writeFile(t, filepath.Join(dir, "f.txt"), "file")
	render := func(text string, disable bool) (string, error) {
		opts := Options{BaseDir: dir, Helpers: []string{"_helpers.tpl"}, Reusable: true, DisableInsecure: disable}
		return Render(fileName, text, nil, opts)
	}
	writeFile(t, helpers, `{{ define "h" }}one{{ end }}`)
	if got, err := render(`{{ include "h" . }}`, false); err != nil || got != "one" {
		t.Fatalf("first helper: %q, %v", got, err)
	}
	writeFile(t, helpers, `{{ define "h" }}two{{ end }}`)
	if got, err := render(`{{ include "h" . }}`, false); err != nil || got != "two" {
		t.Fatalf("changed helper: %q, %v; want two", got, err)
	}
	// A define of one text is not visible to another text's render.
	if _, err := render(`{{ define "only-here" }}x{{ end }}`, false); err != nil {
		t.Fatal(err)
	}
	if got, err := render(`{{ include "only-here" . }}`, false); err == nil {
		t.Fatalf("another text's define leaked: %q", got)
	}
	if _, err := render(`{{ readFile "f.txt" }}`, true); !errors.Is(err, DisabledError) {
		t.Fatalf("disabled readFile: %v", err)
	}
	if got, err := render(`{{ readFile "f.txt" }}`, false); err != nil || got != "file" {
		t.Fatalf("readFile after the disabled render of the same text: %q, %v", got, err)
	}
}

// The cache starts over rather than grow past its bound, counted by set
// (each holds its own copies of the function maps), not only by text.
func TestCacheStaysWithinItsBound(t *testing.T) {
	freshCompiledSets(t)
	dir := t.TempDir()
	for _, size := range []int{10, maxCachedText / 2} {
		text := strings.Repeat("x", size)
		for i := range 3 * maxIdleCost / setCost(size) {
			if _, err := Render(fileName, text+strconv.Itoa(i), nil, Options{BaseDir: dir, Reusable: true}); err != nil {
				t.Fatal(err)
			}
			_, sets := keptSets()
			compiledSets.mu.Lock()
			cost := compiledSets.cost
			compiledSets.mu.Unlock()
			if cost > maxIdleCost || sets*setOverhead > maxIdleCost {
				t.Fatalf("texts of %d bytes: after %d of them the cache holds %d sets, %d bytes by estimate, over %d",
					size, i+1, sets, cost, maxIdleCost)
			}
		}
	}
}
