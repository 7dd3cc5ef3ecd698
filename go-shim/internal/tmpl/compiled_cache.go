package tmpl

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// compiledSets keeps the template sets of files rendered before, so that a
// `.gotmpl` values file many releases list is parsed once per process
// instead of once per release: cloning sprig's ~230 functions, binding
// helmfile's and parsing the text was three quarters of the cost of such a
// file (perf of `template` N=100, 2026-12-07), executing it the rest.
//
// A set is keyed by everything it was built from (the name errors carry,
// the text, each helper's path and text, whether insecure functions are
// disabled), so an entry cannot go stale: a changed file is a new key. A set
// executes for one render at a time (its bound functions point at that
// render), so each key keeps a few idle sets and a render that finds none
// idle compiles its own.
//
// Only texts the caller marks as the content of a file on disk are kept
// (Options.Reusable): a decrypted secrets file, or a field of a state file
// that was itself rendered, may hold secrets, and the daemon would keep
// them for days.
var compiledSets = setCache{idle: map[[sha256.Size]byte][]*compiledSet{}}

// A text larger than maxCachedText is compiled every time; the cache starts
// over when its texts would exceed maxCachedTexts bytes in all (a parsed set
// takes several times its text), and keeps at most maxIdlePerText idle sets
// of one text (one per rendering thread is all a run uses).
const (
	maxCachedText  = 256 << 10
	maxCachedTexts = 4 << 20
	maxIdlePerText = 8
)

type setCache struct {
	mu    sync.Mutex
	idle  map[[sha256.Size]byte][]*compiledSet
	bytes int
}

// setKey digests what a compiled set is built from.
func setKey(name, text string, helpers []helper, disableInsecure bool) [sha256.Size]byte {
	h := sha256.New()
	field := func(s string) {
		// Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(name)
	field(text)
	for _, hp := range helpers {
		field(hp.path)
		field(hp.content)
	}
	if disableInsecure {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// take returns an idle set for key, or nil.
func (c *setCache) take(key [sha256.Size]byte) *compiledSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	sets := c.idle[key]
	if len(sets) == 0 {
		return nil
	}
	set := sets[len(sets)-1]
	c.idle[key] = sets[:len(sets)-1]
	return set
}

// put makes set, built from a text of size bytes, idle again.
func (c *setCache) put(key [sha256.Size]byte, set *compiledSet, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sets, known := c.idle[key]
	if !known {
		if c.bytes+size > maxCachedTexts {
			clear(c.idle)
			c.bytes = 0
		}
		c.bytes += size
	}
	if len(sets) < maxIdlePerText {
		c.idle[key] = append(sets, set)
	}
}

// renderReusable renders text through a kept set when there is one idle.
func (e *engine) renderReusable(name, text string, data any) (string, error) {
	size := len(name) + len(text)
	for _, h := range e.helpers {
		size += len(h.path) + len(h.content)
	}
	if size > maxCachedText {
		return e.render(name, text, data)
	}
	key := setKey(name, text, e.helpers, e.opts.DisableInsecure)
	set := compiledSets.take(key)
	if set == nil {
		var err error
		if set, err = compile(name, text, e.helpers, e.opts.DisableInsecure); err != nil {
			return "", err
		}
	}
	out, err := set.execute(e, data)
	compiledSets.put(key, set, size)
	return out, err
}
