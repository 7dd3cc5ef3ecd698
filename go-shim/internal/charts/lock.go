package charts

import (
	"context"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// LockResolveParams is the input of helmfile's lock file: every remote
// chart of a state file with its version constraint. helmfile builds a
// throw-away chart with them as dependencies and runs `helm dependency
// update`; helmfire resolves the same constraints directly, the way helm's
// resolver does (the newest version that satisfies the constraint).
type LockResolveParams struct {
	Dependencies     []lockDependency `json:"dependencies"`
	RepositoryConfig string           `json:"repository_config,omitempty"`
	Registry         RegistryAccess   `json:"registry"`
}

// lockDependency is one remote chart of the state file.
type lockDependency struct {
	// Chart is what chart_pull takes: "repo/chart" or "oci://host/path/chart".
	Chart string `json:"chart"`
	// Name and Repository are what the lock file records.
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Version    string `json:"version,omitempty"`
	Alias      string `json:"alias,omitempty"`
}

// LockResolveResult is what the lock file records.
type LockResolveResult struct {
	Resolved []lockedDependency `json:"resolved"`
	// Digest is helm's Chart.lock digest of the requirements and the
	// resolved versions.
	Digest string `json:"digest"`
	// Generated is the time of resolution, as helm writes it in Chart.lock.
	Generated string `json:"generated"`
}

// lockedDependency is one resolved chart, as the lock file records it.
type lockedDependency struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Version    string `json:"version"`
}

// ResolveLock resolves every dependency to the newest version that
// satisfies its constraint, without downloading anything.
func ResolveLock(ctx context.Context, p LockResolveParams) (LockResolveResult, error) {
	var req, locked []*chart.Dependency
	out := LockResolveResult{Resolved: []lockedDependency{}}
	for _, d := range p.Dependencies {
		if ctx.Err() != nil {
			return LockResolveResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
		}
		pull := PullParams{Chart: d.Chart, Version: d.Version, RepositoryConfig: p.RepositoryConfig, Registry: p.Registry}
		src, err := chartSourceOf(pull)
		if err != nil {
			return LockResolveResult{}, err
		}
		var version string
		if src.oci {
			version, err = resolveOCIVersion(src, pull, &syncbuf.Buffer{})
		} else {
			version, _, _, err = resolveRepoVersion(src, pull)
		}
		if err != nil {
			return LockResolveResult{}, err
		}
		constraint := d.Version
		if constraint == "" {
			constraint = "*"
		}
		req = append(req, &chart.Dependency{Name: d.Name, Version: constraint, Repository: d.Repository, Alias: d.Alias})
		locked = append(locked, &chart.Dependency{Name: d.Name, Version: version, Repository: d.Repository})
		out.Resolved = append(out.Resolved, lockedDependency{Name: d.Name, Repository: d.Repository, Version: version})
	}
	digest, err := hashDependencies(req, locked)
	if err != nil {
		return LockResolveResult{}, fault.Newf(fault.KindInternal, "hashing the lock: %v", err)
	}
	out.Digest = digest
	out.Generated = time.Now().Format(time.RFC3339Nano)
	return out, nil
}
