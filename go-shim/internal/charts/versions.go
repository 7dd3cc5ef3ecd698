package charts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/redact"
)

// noSuchVersion names the versions closest to the one asked for.
func noSuchVersion(src chartSource, version string, available []string) *fault.Error {
	closest := closestVersions(version, available, 5)
	what := "no version"
	if version != "" {
		what = fmt.Sprintf("no version matching %q", version)
	}
	msg := fmt.Sprintf("chart %s: %s in %s", src.name, what, src.repository)
	if len(closest) > 0 {
		msg += fmt.Sprintf("; the closest available: %s", strings.Join(closest, ", "))
	} else {
		msg += "; it has no versions"
	}
	return fault.New(fault.KindChart, redact.Text(msg)).With("chart", src.ref)
}

// closestVersions orders available versions by distance to the asked one
// (major, then minor, then patch), newest first on a tie; for a constraint
// or an unparsable version, the newest.
func closestVersions(version string, available []string, n int) []string {
	type candidate struct {
		raw string
		v   *semver.Version
	}
	var cands []candidate
	for _, a := range available {
		if v, err := semver.NewVersion(strings.ReplaceAll(a, "_", "+")); err == nil {
			cands = append(cands, candidate{a, v})
		}
	}
	want, err := semver.NewVersion(version)
	dist := func(v *semver.Version) [3]uint64 {
		if err != nil {
			return [3]uint64{}
		}
		d := func(a, b uint64) uint64 {
			if a > b {
				return a - b
			}
			return b - a
		}
		return [3]uint64{d(v.Major(), want.Major()), d(v.Minor(), want.Minor()), d(v.Patch(), want.Patch())}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		di, dj := dist(cands[i].v), dist(cands[j].v)
		if di != dj {
			for k := range di {
				if di[k] != dj[k] {
					return di[k] < dj[k]
				}
			}
		}
		return cands[i].v.GreaterThan(cands[j].v)
	})
	var out []string
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].raw)
	}
	return out
}
