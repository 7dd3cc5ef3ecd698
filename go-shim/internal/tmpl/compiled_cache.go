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

// A text larger than maxCachedText is compiled every time. The idle sets
// are bounded by an estimate of the memory they hold, maxIdleCost: a set
// costs setOverhead (the copies of the function maps every set has: about
// 41 KB measured) plus a few times its text (parse trees); past the bound
// the cache starts over. At most maxIdlePerText idle sets of one text are
// kept (one per rendering thread is all a run uses).
const (
	maxCachedText  = 256 << 10
	maxIdleCost    = 16 << 20
	setOverhead    = 48 << 10
	maxIdlePerText = 8
)

// setCost estimates the memory of a set built from size bytes of text.
func setCost(size int) int { return setOverhead + 4*size }

type setCache struct {
	mu   sync.Mutex
	idle map[[sha256.Size]byte][]*compiledSet
	// cost is the estimated memory of the idle sets (setCost).
	cost int
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
	if len(sets) == 1 {
		delete(c.idle, key)
	} else {
		c.idle[key] = sets[:len(sets)-1]
	}
	c.cost -= set.cost
	return set
}

// put makes set idle again, or drops it when its text has enough idle sets.
func (c *setCache) put(key [sha256.Size]byte, set *compiledSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sets := c.idle[key]
	if len(sets) >= maxIdlePerText {
		return
	}
	if c.cost+set.cost > maxIdleCost {
		clear(c.idle)
		c.cost = 0
		sets = nil
	}
	c.idle[key] = append(sets, set)
	c.cost += set.cost
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
		set.cost = setCost(size)
	}
	out, err := set.execute(e, data)
	compiledSets.put(key, set)
	return out, err
}
