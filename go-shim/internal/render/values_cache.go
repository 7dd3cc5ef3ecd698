package render

import (
	"bytes"
	"crypto/sha256"
	"sync"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// parsedDocuments keeps the values files this process has parsed, by the
// digest of their bytes, so that a file many releases list (a
// values/common.yaml) is parsed once per process instead of once per
// release: parsing, YAML to JSON to maps as helm does it, was 3.5% of the
// CPU of `template` N=100 (perf, 2026-12-07). Keyed by content, an entry
// cannot go stale: a changed file is a new key.
//
// Only files helm reads as they are on disk are kept. Documents helmfire
// produced (a rendered `.gotmpl`, inline values, decrypted secrets,
// resolved references) are parsed every time: a rendered template may hold
// what `fetchSecretValue` fetched, and the daemon would keep it for days.
var parsedDocuments = documentCache{entries: map[[sha256.Size]byte]map[string]any{}}

// A file larger than maxCachedDocument is parsed every time; the cache
// starts over when its files would exceed maxCachedBytes of text (parsed,
// they take several times that; the daemon and watch mode see many
// versions of a file).
const (
	maxCachedDocument = 256 << 10
	maxCachedBytes    = 4 << 20
)

type documentCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]map[string]any
	bytes   int
}

// parseValues is helm's loader.LoadValues of raw, through the cache for a
// values file that is not large. The caller owns what it gets: helm's
// merge puts a document's maps into the merged values, which later steps
// write into, so every caller gets its own copy.
func parseValues(raw []byte, file bool) (map[string]any, error) {
	if !file || len(raw) > maxCachedDocument {
		return loader.LoadValues(bytes.NewReader(raw))
	}
	key := sha256.Sum256(raw)
	c := &parsedDocuments
	c.mu.Lock()
	parsed, hit := c.entries[key]
	c.mu.Unlock()
	if hit {
		return cloneValues(parsed), nil
	}
	parsed, err := loader.LoadValues(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.bytes+len(raw) > maxCachedBytes {
		clear(c.entries)
		c.bytes = 0
	}
	if _, raced := c.entries[key]; !raced {
		c.entries[key] = parsed
		c.bytes += len(raw)
	}
	c.mu.Unlock()
	return cloneValues(parsed), nil
}
