package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"
)

// lockResolveParams is the input of helmfile's lock file: every remote
// chart of a state file with its version constraint. helmfile builds a
// throw-away chart with them as dependencies and runs `helm dependency
// update`; helmfire resolves the same constraints directly, the way helm's
// resolver does (the newest version that satisfies the constraint).
type lockResolveParams struct {
	Dependencies     []lockDependency `json:"dependencies"`
	RepositoryConfig string           `json:"repository_config,omitempty"`
	Registry         RegistryAccess   `json:"registry"`
}

type lockDependency struct {
	// Chart is what chart_pull takes: "repo/chart" or "oci://host/path/chart".
	Chart string `json:"chart"`
	// Name and Repository are what the lock file records.
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Version    string `json:"version,omitempty"`
	Alias      string `json:"alias,omitempty"`
}

type lockResolveResult struct {
	Resolved []lockedDependency `json:"resolved"`
	// Digest is helm's Chart.lock digest of the requirements and the
	// resolved versions.
	Digest string `json:"digest"`
	// Generated is the time of resolution, as helm writes it in Chart.lock.
	Generated string `json:"generated"`
}

type lockedDependency struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Version    string `json:"version"`
}

func runLockResolve(ctx context.Context, raw json.RawMessage) (any, error) {
	var p lockResolveParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	var req, locked []*chart.Dependency
	out := lockResolveResult{Resolved: []lockedDependency{}}
	for _, d := range p.Dependencies {
		if ctx.Err() != nil {
			return nil, classify(ctx.Err(), KindCancelled)
		}
		pull := chartPullParams{Chart: d.Chart, Version: d.Version, RepositoryConfig: p.RepositoryConfig, Registry: p.Registry}
		src, err := chartSourceOf(pull)
		if err != nil {
			return nil, err
		}
		var version string
		if src.oci {
			version, err = resolveOCIVersion(src, pull, &syncbuf.Buffer{})
		} else {
			version, _, _, err = resolveRepoVersion(src, pull)
		}
		if err != nil {
			return nil, err
		}
		constraint := d.Version
		if constraint == "" {
			constraint = "*"
		}
		req = append(req, &chart.Dependency{Name: d.Name, Version: constraint, Repository: d.Repository, Alias: d.Alias})
		locked = append(locked, &chart.Dependency{Name: d.Name, Version: version, Repository: d.Repository})
		out.Resolved = append(out.Resolved, lockedDependency{Name: d.Name, Repository: d.Repository, Version: version})
	}
	// helm's resolver.HashReq: sha256 of the JSON of [requirements, lock].
	data, err := json.Marshal([2][]*chart.Dependency{req, locked})
	if err != nil {
		return nil, failf(KindInternal, "hashing the lock: %v", err)
	}
	sum := sha256.Sum256(data)
	out.Digest = "sha256:" + hex.EncodeToString(sum[:])
	out.Generated = time.Now().Format(time.RFC3339Nano)
	return out, nil
}
