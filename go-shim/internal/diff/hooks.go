package diff

import (
	"bytes"
	"fmt"
	"slices"

	helmkube "helm.sh/helm/v4/pkg/kube"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
)

// diffTestHooks compares the test hooks of the current and the new revision
// as helm-diff does, manifest to manifest: they are not applied by an
// upgrade but deleted and created again by `helm test`.
func (d *differ) diffTestHooks(result *Result, rel, current *releasev1.Release) error {
	newHooks, err := d.testHooks(rel)
	if err != nil {
		return err
	}
	oldHooks, err := d.testHooks(current)
	if err != nil {
		return err
	}
	add := func(change *Change, err error) error {
		if err != nil {
			return err
		}
		if change == nil {
			result.Unchanged++
		} else {
			result.Changes = append(result.Changes, *change)
		}
		return nil
	}
	for _, info := range newHooks {
		hook, err := Object(info)
		if err != nil {
			return err
		}
		action, before := actionCreate, map[string]any(nil)
		if oldInfo := findObject(oldHooks, info); oldInfo != nil {
			old, err := Object(oldInfo)
			if err != nil {
				return err
			}
			action, before = actionUpdate, old.Object
		}
		if err := add(d.change(hook, action, before, hook.Object, "")); err != nil {
			return err
		}
	}
	for _, info := range oldHooks {
		if findObject(newHooks, info) == nil {
			hook, err := Object(info)
			if err != nil {
				return err
			}
			change, err := d.change(hook, actionDelete, hook.Object, nil, "")
			if err != nil {
				return err
			}
			result.Changes = append(result.Changes, *change)
		}
	}
	return nil
}

// testHooks builds the test hooks of a revision (none for nil).
func (d *differ) testHooks(rel *releasev1.Release) (helmkube.ResourceList, error) {
	var out helmkube.ResourceList
	if rel == nil {
		return nil, nil
	}
	for _, hook := range rel.Hooks {
		if !slices.Contains(hook.Events, releasev1.HookTest) {
			continue
		}
		infos, err := d.s.Config.KubeClient.Build(bytes.NewBufferString(hook.Manifest), false)
		if err != nil {
			return nil, fmt.Errorf("unable to build kubernetes objects from test hook %s: %w", hook.Path, err)
		}
		out = append(out, infos...)
	}
	return out, nil
}
