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
		compiledSets.bytes = 0
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

// Many renders of one file at once each see their own data, base directory
// (readFile), include count and tpl, though they share parsed sets.
func TestReusedSetsServeEachRenderItsOwnFunctions(t *testing.T) {
	freshCompiledSets(t)
	const renders = 64
	dirs := make([]string, renders)
	for i := range dirs {
		dirs[i] = t.TempDir()
		writeFile(t, filepath.Join(dirs[i], "id.txt"), strings.Repeat("x", i))
		writeFile(t, filepath.Join(dirs[i], "_helpers.tpl"), `{{ define "twice" }}{{ . }}{{ . }}{{ end }}`)
	}
	text := `{{ define "mine" }}{{ . }}{{ end }}{{ readFile "id.txt" | len }}-{{ include "mine" .n }}-` +
		`{{ tpl "{{ .n }}" . }}-{{ include "twice" "a" }}`
	outs := make([]string, renders)
	errs := make([]error, renders)
	var wg sync.WaitGroup
	for round := range 2 {
		for i := range renders {
			wg.Go(func() {
				opts := Options{BaseDir: dirs[i], Helpers: []string{"_helpers.tpl"}, Reusable: true}
				outs[i], errs[i] = Render(fileName, text, map[string]any{"n": i}, opts)
			})
		}
		wg.Wait()
		for i := range renders {
			n := strconv.Itoa(i)
			if want := n + "-" + n + "-" + n + "-aa"; errs[i] != nil || outs[i] != want {
				t.Errorf("round %d, render %d: %q, %v; want %q", round, i, outs[i], errs[i], want)
			}
		}
	}
	// The helpers have the same text in every directory but a different
	// path, so each directory is a text of its own; the tpl texts are kept
	// by none.
	if texts, sets := keptSets(); texts != renders || sets < renders {
		t.Errorf("the cache holds %d texts in %d sets; want %d texts", texts, sets, renders)
	}
}

// A render that fails (here in include's recursion bound) leaves the set
// usable: the next render counts from zero again.
func TestAFailedRenderLeavesItsSetUsable(t *testing.T) {
	freshCompiledSets(t)
	dir := fixture(t)
	opts := defaultOpts(dir)
	opts.Reusable = true
	text := `{{ if .loop }}{{ include "loop" . }}{{ else }}{{ include "greet" . }}{{ end }}`
	for range 2 {
		if _, err := Render(fileName, text, map[string]any{"loop": true}, opts); err == nil ||
			!strings.Contains(err.Error(), "nested reference name: loop") {
			t.Fatalf("want the recursion error, got %v", err)
		}
		got, err := Render(fileName, text, map[string]any{"loop": false, "name": "x"}, opts)
		if err != nil || got != "hello x" {
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

// The cache starts over rather than grow past its bound.
func TestCacheStaysWithinItsBound(t *testing.T) {
	freshCompiledSets(t)
	dir := t.TempDir()
	text := strings.Repeat("x", maxCachedText/2)
	for i := range 3 * maxCachedTexts / len(text) {
		if _, err := Render(fileName, text+strconv.Itoa(i), nil, Options{BaseDir: dir, Reusable: true}); err != nil {
			t.Fatal(err)
		}
		compiledSets.mu.Lock()
		bytes := compiledSets.bytes
		compiledSets.mu.Unlock()
		if bytes > maxCachedTexts {
			t.Fatalf("after %d texts the cache holds %d bytes, over %d", i+1, bytes, maxCachedTexts)
		}
	}
}
