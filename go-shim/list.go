package main

import (
	"context"
	"encoding/json"
	"regexp"

	"helm.sh/helm/v4/pkg/action"
)

type listParams struct {
	// Kube.Namespace may be empty: the context's namespace, else "default".
	Kube          kubeSettings `json:"kube"`
	AllNamespaces bool         `json:"all_namespaces,omitempty"`
	// Filter is a regular expression on release names (helm's --filter).
	Filter string `json:"filter,omitempty"`
	// States keeps releases whose latest revision is in one of these states
	// (helm's status names, "pending" for the three pending ones, "all");
	// empty means all, as helm list without state flags.
	States []string `json:"states,omitempty"`
}

type listedRelease struct {
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
	Revision   int    `json:"revision"`
	Updated    string `json:"updated"`
	Status     string `json:"status"`
	Chart      string `json:"chart"`
	AppVersion string `json:"app_version"`
}

// runList is `helm list` (pkg/cmd/list.go) without its 256-release limit,
// in helm's order (by name).
func runList(ctx context.Context, raw json.RawMessage) (any, error) {
	var p listParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	mask, err := stateMask(p.States)
	if err != nil {
		return nil, err
	}
	if p.Filter != "" {
		if _, err := regexp.Compile(p.Filter); err != nil {
			return nil, failf(KindBadRequest, "invalid params: filter %q is not a regular expression: %v", p.Filter, err)
		}
	}
	s, err := openKube(ctx, p.Kube, p.AllNamespaces)
	if err != nil {
		return nil, err
	}
	client := action.NewList(s.cfg)
	client.AllNamespaces = p.AllNamespaces
	client.Filter = p.Filter
	client.StateMask = mask
	client.Limit = 0
	found, err := client.Run()
	if err != nil {
		return nil, s.classify(err, "", KindKube)
	}
	out := make([]listedRelease, 0, len(found))
	for _, r := range found {
		rel, err := toV1(r)
		if err != nil {
			return nil, err
		}
		out = append(out, listedRelease{
			Name:       rel.Name,
			Namespace:  rel.Namespace,
			Revision:   rel.Version,
			Updated:    timestamp(rel.Info.LastDeployed),
			Status:     rel.Info.Status.String(),
			Chart:      chartName(rel.Chart),
			AppVersion: appVersion(rel.Chart),
		})
	}
	return out, nil
}

func stateMask(states []string) (action.ListStates, error) {
	var mask action.ListStates
	for _, name := range states {
		switch name {
		case "all":
			mask |= action.ListAll
		case "pending":
			mask |= action.ListPendingInstall | action.ListPendingUpgrade | action.ListPendingRollback
		default:
			state := mask.FromName(name)
			if state == action.ListUnknown {
				return 0, failf(KindBadRequest, "invalid params: unknown release state %q", name)
			}
			mask |= state
		}
	}
	if mask == 0 {
		mask = action.ListAll
	}
	return mask, nil
}
