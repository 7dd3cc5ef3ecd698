package render

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// loadedCharts keeps each chart the process has loaded, so that the releases
// of a run that share a chart parse its Chart.yaml, values.yaml and
// templates once instead of once each (14% of the CPU of rendering 100
// releases of two charts, measured with perf). It lives as long as the process:
// the daemon and watch mode keep it too, which is safe because an entry is
// used only while no file of the chart has changed since the entry was
// loaded (chartFingerprint), and bounded (maxCachedCharts).
var loadedCharts = chartCache{entries: map[string]cachedChart{}}

type chartCache struct {
	mu      sync.Mutex
	entries map[string]cachedChart // by the chart's absolute path
	// loads counts the charts read by helm's loader, cached or not.
	loads atomic.Int64
}

type cachedChart struct {
	fingerprint [sha256.Size]byte
	// pristine is never handed out: every caller gets its own copy (an
	// install or upgrade rewrites its chart's dependencies, metadata and
	// values while it runs).
	pristine *chartv2.Chart
}

// loadChart is loader.Load through the cache. Charts the cache cannot vouch
// for (chartFingerprint) and chart formats other than apiVersion v1/v2 are
// loaded as helm loads them, every time.
func loadChart(path string) (chart.Charter, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return loadedCharts.load(path)
	}
	fingerprint, ok := chartFingerprint(abs)
	if !ok {
		return loadedCharts.load(path)
	}
	loadedCharts.mu.Lock()
	entry, hit := loadedCharts.entries[abs]
	loadedCharts.mu.Unlock()
	if hit && entry.fingerprint == fingerprint {
		return cloneChart(entry.pristine), nil
	}
	loaded, err := loadedCharts.load(path)
	if err != nil {
		return nil, err
	}
	v2, isV2 := loaded.(*chartv2.Chart)
	if !isV2 {
		return loaded, nil
	}
	// What the caller gets is a copy too: the entry must stay as loaded.
	loadedCharts.keep(abs, cachedChart{fingerprint: fingerprint, pristine: v2})
	return cloneChart(v2), nil
}

// maxCachedCharts bounds the cache for processes that live long (the
// daemon, watch mode) while the charts they use change versions, each
// version a directory of its own in the chart cache.
const maxCachedCharts = 256

// keep stores an entry, first dropping an arbitrary one (Go's map order is
// random) when the cache is full.
func (c *chartCache) keep(path string, entry cachedChart) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, replacing := c.entries[path]; !replacing && len(c.entries) >= maxCachedCharts {
		for victim := range c.entries {
			delete(c.entries, victim)
			break
		}
	}
	c.entries[path] = entry
}

// load reads a chart with helm's loader.
func (c *chartCache) load(path string) (chart.Charter, error) {
	c.loads.Add(1)
	return loader.Load(path)
}

// racyWindow is how recent a change to a chart file may be for its time
// stamps to be trusted alone. A file written twice within one tick of the
// file system's clock (a second on some) can keep its time stamps and size
// while its bytes change, so the fingerprint of a file changed that recently
// also covers its bytes, as git compares the contents of "racily clean"
// index entries. A variable for tests.
var racyWindow = 3 * time.Second

// A chart directory with more entries, or more bytes of recently changed
// files, than these (a chart at the root of a repository, its .git ignored
// by .helmignore but walked here) is loaded uncached rather than walked or
// read at every release.
const (
	fingerprintMaxEntries = 1024
	fingerprintMaxBytes   = 16 << 20
)

// chartFingerprint digests what the file system says of every file of a
// chart (an archive, or a directory walked in name order): its path in the
// chart, inode, size, mode, and the time of the last change to its bytes or
// its inode, plus the bytes of files changed within racyWindow. Any write,
// rename or replacement changes it. Reading every file instead cost more
// than half of what the cache saved; a fresh checkout (a CI job) pays it for
// its first seconds only. ok is false when the chart cannot be fingerprinted, is too
// large to, or holds a symbolic link (helm's loader follows links, this walk
// does not).
func chartFingerprint(path string) (sum [sha256.Size]byte, ok bool) {
	digest := sha256.New()
	recent := time.Now().Add(-racyWindow).UnixNano()
	var entries, hashed int64
	addFile := func(name, file string, info fs.FileInfo) bool {
		inode, changed, ok := fileIdentity(info)
		if entries++; !ok || entries > fingerprintMaxEntries {
			return false
		}
		var header [33]byte
		binary.LittleEndian.PutUint64(header[0:], inode)
		binary.LittleEndian.PutUint64(header[8:], uint64(changed))
		binary.LittleEndian.PutUint64(header[16:], uint64(info.Size()))
		binary.LittleEndian.PutUint64(header[24:], uint64(info.Mode()))
		racy := changed > recent && info.Mode().IsRegular()
		if racy {
			header[32] = 1
		}
		digest.Write([]byte(name))
		digest.Write([]byte{0})
		digest.Write(header[:])
		if racy {
			if hashed += info.Size(); hashed > fingerprintMaxBytes {
				return false
			}
			return hashContent(digest, file)
		}
		return true
	}
	info, err := os.Lstat(path)
	if err != nil || info.Mode()&fs.ModeSymlink != 0 {
		return sum, false
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() || !addFile("", path, info) {
			return sum, false
		}
		return [sha256.Size]byte(digest.Sum(nil)), true
	}
	walkErr := filepath.WalkDir(path, func(file string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !entry.IsDir() && !entry.Type().IsRegular() {
			return fs.ErrInvalid // a link, a socket: load uncached
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, file)
		if !addFile(rel, file, info) {
			return fs.ErrInvalid
		}
		return nil
	})
	if walkErr != nil {
		return sum, false
	}
	return [sha256.Size]byte(digest.Sum(nil)), true
}

// hashContent adds a file's bytes to a fingerprint.
func hashContent(digest io.Writer, file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = io.Copy(digest, f)
	return err == nil
}

// cloneChart copies a chart and its subcharts deeply enough that an install,
// an upgrade or a render may change the copy without touching the original:
// helm rewrites a chart's subchart list, its metadata's dependencies (their
// names, enabled flags and import-values), sanitises metadata strings when
// validating, and replaces its values. Template and file contents are
// shared: nothing in helm writes to them.
func cloneChart(c *chartv2.Chart) *chartv2.Chart {
	copied := *c
	copied.Metadata = cloneMetadata(c.Metadata)
	copied.Lock = cloneLock(c.Lock)
	copied.Values = cloneValues(c.Values)
	copied.Templates = slices.Clone(c.Templates)
	copied.Files = slices.Clone(c.Files)
	copied.Raw = slices.Clone(c.Raw)
	subcharts := make([]*chartv2.Chart, 0, len(c.Dependencies()))
	for _, sub := range c.Dependencies() {
		subcharts = append(subcharts, cloneChart(sub))
	}
	// SetDependencies also points each copied subchart at this copy.
	copied.SetDependencies(subcharts...)
	return &copied
}

func cloneMetadata(m *chartv2.Metadata) *chartv2.Metadata {
	if m == nil {
		return nil
	}
	copied := *m
	copied.Sources = slices.Clone(m.Sources)
	copied.Keywords = slices.Clone(m.Keywords)
	copied.Annotations = maps.Clone(m.Annotations)
	copied.Maintainers = nil
	for _, maintainer := range m.Maintainers {
		if maintainer == nil {
			copied.Maintainers = append(copied.Maintainers, nil)
			continue
		}
		one := *maintainer
		copied.Maintainers = append(copied.Maintainers, &one)
	}
	copied.Dependencies = cloneDependencies(m.Dependencies)
	return &copied
}

func cloneLock(l *chartv2.Lock) *chartv2.Lock {
	if l == nil {
		return nil
	}
	copied := *l
	copied.Dependencies = cloneDependencies(l.Dependencies)
	return &copied
}

func cloneDependencies(deps []*chartv2.Dependency) []*chartv2.Dependency {
	if deps == nil {
		return nil
	}
	copied := make([]*chartv2.Dependency, len(deps))
	for i, dep := range deps {
		if dep == nil {
			continue
		}
		one := *dep
		one.Tags = slices.Clone(dep.Tags)
		one.ImportValues = cloneList(dep.ImportValues)
		copied[i] = &one
	}
	return copied
}

// cloneValues copies a tree of values as YAML and JSON decoding build it
// (maps, lists, scalars); scalars are immutable and shared.
func cloneValues(values map[string]any) map[string]any {
	if values == nil {
		return nil
	}
	copied := make(map[string]any, len(values))
	for key, value := range values {
		copied[key] = cloneValue(value)
	}
	return copied
}

func cloneList(list []any) []any {
	if list == nil {
		return nil
	}
	copied := make([]any, len(list))
	for i, value := range list {
		copied[i] = cloneValue(value)
	}
	return copied
}

func cloneValue(value any) any {
	switch v := value.(type) {
	case map[string]any:
		return cloneValues(v)
	case common.Values:
		return common.Values(cloneValues(v))
	case []any:
		return cloneList(v)
	case map[string]string:
		return maps.Clone(v)
	case []string:
		return slices.Clone(v)
	default:
		return v
	}
}
