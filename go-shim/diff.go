package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"

	"helm.sh/helm/v4/pkg/kube"
	ri "helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// diffParams is the upgrade's request plus how to show the changes.
type diffParams struct {
	upgradeParams
	// ContextLines is the lines of context around changes; absent means 3,
	// negative means whole objects (helm-diff's default).
	ContextLines *int `json:"context_lines,omitempty"`
	// ShowSecrets prints Secret values instead of "REDACTED # (N bytes)".
	ShowSecrets bool `json:"show_secrets,omitempty"`
	// IncludeTests adds the chart's test hooks (other hooks are never shown:
	// they are recreated by every upgrade, not applied).
	IncludeTests bool `json:"include_tests,omitempty"`
}

type diffResult struct {
	Release   string       `json:"release"`
	Namespace string       `json:"namespace"`
	Exists    bool         `json:"exists"` // the release is installed (the diff is of an upgrade)
	Changes   []diffChange `json:"changes"`
	Unchanged int          `json:"unchanged"`
}

type diffChange struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"api_version"`
	Namespace  string `json:"namespace"` // empty for cluster-scoped objects
	Name       string `json:"name"`
	Action     string `json:"action"` // create, update, delete
	// Diff is helm-diff's text: "NS, NAME, KIND (GROUP) has changed:" (or
	// "has been added:", "has been removed:") and the lines.
	Diff string `json:"diff"`
	// Conflict is the API server's refusal of the server-side apply the
	// upgrade would send (fields another manager owns at another value):
	// the upgrade would fail on this object. Diff shows the forced apply.
	Conflict string `json:"conflict,omitempty"`

	key string // helm-diff's sort key
}

const (
	defaultDiffContext = 3
	diffWorkers        = 8

	diffCreate = "create"
	diffUpdate = "update"
	diffDelete = "delete"
)

// runDiff computes what `helm upgrade --install` of the release would change
// in the cluster as it is now, drift included: the release is rendered by a
// server dry run of the Install or Upgrade, and every object is compared
// with the API server's prediction (a dry-run apply) of what the upgrade
// would make of the live object.
func runDiff(ctx context.Context, raw json.RawMessage) (any, error) {
	var p diffParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	contextLines := defaultDiffContext
	if p.ContextLines != nil {
		contextLines = *p.ContextLines
	}
	s, err := p.openSession(ctx)
	if err != nil {
		return nil, err
	}

	last, err := s.lastRelease(p.ReleaseName)
	if err != nil {
		return nil, s.classify(err, p.ReleaseName, KindRelease)
	}
	exists := last != nil && last.Info.Status != rcommon.StatusUninstalled

	p.serverDryRun = true
	var run func() (ri.Releaser, error)
	if exists {
		run, err = p.prepareUpgrade(ctx, s)
	} else {
		run, err = p.prepareInstall(ctx, s, last != nil)
	}
	if err != nil {
		return nil, err
	}
	slog.Debug("diffing release", "release", p.ReleaseName, "namespace", s.namespace, "install", !exists,
		"chart", p.Chart, "values", describeSources(p.Values))
	if ctx.Err() != nil {
		return nil, s.fail(KindCancelled, "the diff of release %q was cancelled", p.ReleaseName).withDetail("release", p.ReleaseName)
	}
	started := time.Now()
	releaser, runErr := run()
	rendered := time.Since(started)
	if ctx.Err() != nil {
		return nil, s.fail(KindCancelled, "the diff of release %q was cancelled", p.ReleaseName).withDetail("release", p.ReleaseName)
	}
	if runErr != nil {
		return nil, classifyDeployError(s, runErr, p.ReleaseName, p.Chart, releaser)
	}
	rel, err := toV1(releaser)
	if err != nil {
		return nil, err
	}

	d := &differ{
		s:           s,
		release:     p.ReleaseName,
		namespace:   rel.Namespace,
		context:     contextLines,
		showSecrets: p.ShowSecrets,
	}
	serverSide := rel.ApplyMethod == string(release.ApplyMethodServerSideApply)
	d.strategy = applyStrategy{
		serverSide:   serverSide,
		forceReplace: p.Options.Force,
		// Install adopting objects on client-side apply (install.go).
		threeWayMergeForUnstructured: !exists && p.Options.TakeOwnership && !serverSide,
	}
	result, err := d.run(ctx, rel, exists, last, p.IncludeTests)
	slog.Debug("diffed release", "release", p.ReleaseName, "namespace", s.namespace,
		"dry_run", rendered.Round(time.Millisecond), "compare", (time.Since(started) - rendered).Round(time.Millisecond))
	if err != nil {
		if ctx.Err() != nil {
			return nil, s.fail(KindCancelled, "the diff of release %q was cancelled", p.ReleaseName).withDetail("release", p.ReleaseName)
		}
		return nil, s.classify(err, p.ReleaseName, KindRelease)
	}
	return result, nil
}

// differ compares one release's objects with the cluster.
type differ struct {
	s           *kubeSession
	release     string
	namespace   string
	strategy    applyStrategy
	context     int
	showSecrets bool
}

func (d *differ) run(ctx context.Context, rel *release.Release, exists bool, last *release.Release, includeTests bool) (*diffResult, error) {
	desired, err := d.s.cfg.KubeClient.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from new release manifest: %w", err)
	}
	for _, info := range desired {
		if u, ok := info.Object.(*unstructured.Unstructured); ok {
			setHelmMetadata(u, d.release, d.namespace)
		}
	}

	// The objects the upgrade starts from: the deployed revision's manifest
	// (Upgrade's currentRelease); an Install starts from nothing.
	var current *release.Release
	var originals kube.ResourceList
	if exists {
		if current, err = d.currentRelease(last); err != nil {
			return nil, err
		}
		originals, err = d.s.cfg.KubeClient.Build(bytes.NewBufferString(current.Manifest), false)
		if err != nil {
			return nil, fmt.Errorf("unable to build kubernetes objects from current release manifest: %w", err)
		}
		// pkg/action upgrade.go: the field manager is upgraded to
		// server-side apply when a client-side release moves to it.
		d.strategy.upgradeClientSideFieldManager = d.strategy.serverSide &&
			(current.ApplyMethod == "" || current.ApplyMethod == string(release.ApplyMethodClientSideApply))
	} else {
		// pkg/action install.go: adopted objects always get it.
		d.strategy.upgradeClientSideFieldManager = d.strategy.serverSide
	}
	var removed kube.ResourceList
	for _, info := range originals {
		if findObject(desired, info) == nil {
			removed = append(removed, info)
		}
	}

	outcomes := make([]*diffChange, len(desired)+len(removed))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(diffWorkers)
	for i, info := range desired {
		g.Go(func() error {
			change, err := d.compare(gctx, info, findObject(originals, info))
			if err != nil {
				return fmt.Errorf("%s: %w", describeObject(info), err)
			}
			outcomes[i] = change
			return nil
		})
	}
	for i, info := range removed {
		g.Go(func() error {
			change, err := d.deletion(gctx, info)
			if err != nil {
				return fmt.Errorf("%s: %w", describeObject(info), err)
			}
			outcomes[len(desired)+i] = change
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	result := &diffResult{Release: d.release, Namespace: d.namespace, Exists: exists, Changes: []diffChange{}}
	for i, change := range outcomes {
		switch {
		case change != nil:
			result.Changes = append(result.Changes, *change)
		case i < len(desired):
			result.Unchanged++
		}
	}
	if includeTests {
		if err := d.diffTestHooks(result, rel, current); err != nil {
			return nil, err
		}
	}
	sortChanges(result.Changes)
	return result, nil
}

// diffTestHooks compares the test hooks of the current and the new revision
// as helm-diff does, manifest to manifest: they are not applied by an
// upgrade but deleted and created again by `helm test`.
func (d *differ) diffTestHooks(result *diffResult, rel, current *release.Release) error {
	newHooks, err := d.testHooks(rel)
	if err != nil {
		return err
	}
	oldHooks, err := d.testHooks(current)
	if err != nil {
		return err
	}
	add := func(change *diffChange, err error) error {
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
		hook := info.Object.(*unstructured.Unstructured)
		var err error
		if old := findObject(oldHooks, info); old != nil {
			err = add(d.change(hook, diffUpdate, old.Object.(*unstructured.Unstructured).Object, hook.Object, ""))
		} else {
			err = add(d.change(hook, diffCreate, nil, hook.Object, ""))
		}
		if err != nil {
			return err
		}
	}
	for _, info := range oldHooks {
		if findObject(newHooks, info) == nil {
			hook := info.Object.(*unstructured.Unstructured)
			change, err := d.change(hook, diffDelete, hook.Object, nil, "")
			if err != nil {
				return err
			}
			result.Changes = append(result.Changes, *change)
		}
	}
	return nil
}

// testHooks builds the test hooks of a revision (none for nil).
func (d *differ) testHooks(rel *release.Release) (kube.ResourceList, error) {
	var out kube.ResourceList
	if rel == nil {
		return nil, nil
	}
	for _, hook := range rel.Hooks {
		if !slices.Contains(hook.Events, release.HookTest) {
			continue
		}
		infos, err := d.s.cfg.KubeClient.Build(bytes.NewBufferString(hook.Manifest), false)
		if err != nil {
			return nil, fmt.Errorf("unable to build kubernetes objects from test hook %s: %w", hook.Path, err)
		}
		out = append(out, infos...)
	}
	return out, nil
}

// sortChanges is helm-diff's order: changed objects, then removed, then
// added, each by "NAMESPACE, NAME, KIND (GROUP)".
func sortChanges(changes []diffChange) {
	rank := map[string]int{diffUpdate: 0, diffDelete: 1, diffCreate: 2}
	slices.SortStableFunc(changes, func(a, b diffChange) int {
		if rank[a.Action] != rank[b.Action] {
			return rank[a.Action] - rank[b.Action]
		}
		return strings.Compare(a.key, b.key)
	})
}

// currentRelease is the revision Upgrade starts from: the last one if it is
// deployed, else the deployed one, else a failed or superseded last one.
func (d *differ) currentRelease(last *release.Release) (*release.Release, error) {
	if last.Info.Status == rcommon.StatusDeployed {
		return last, nil
	}
	deployed, err := d.s.cfg.Releases.Deployed(d.release)
	if err != nil {
		if errors.Is(err, driver.ErrNoDeployedReleases) {
			return last, nil
		}
		return nil, err
	}
	rel, err := toV1(deployed)
	if err != nil || rel == nil {
		return last, err
	}
	return rel, nil
}

// compare is one desired object: nil when the upgrade would not change it.
func (d *differ) compare(ctx context.Context, info, original *resource.Info) (*diffChange, error) {
	live, err := getLive(ctx, info)
	if err != nil {
		return nil, err
	}
	desired := info.Object.(*unstructured.Unstructured)
	if live == nil {
		return d.change(desired, diffCreate, nil, desired.Object, "")
	}
	if d.strategy.forceReplace && d.strategy.serverSide {
		// pkg/kube Update refuses the combination before touching anything.
		return nil, errors.New("the upgrade would fail: invalid operation: cannot use server-side apply and force replace together")
	}
	predicted, conflict, err := predict(ctx, info, original, live, d.strategy)
	if err != nil {
		return nil, err
	}
	return d.change(live, diffUpdate, live.Object, predicted.Object, conflict)
}

// deletion is one object of the current revision the new one lacks: the
// upgrade deletes it unless it is gone already or annotated
// helm.sh/resource-policy: keep (read from the live object, as Helm does).
func (d *differ) deletion(ctx context.Context, info *resource.Info) (*diffChange, error) {
	live, err := getLive(ctx, info)
	if err != nil || live == nil {
		return nil, err
	}
	if live.GetAnnotations()[kube.ResourcePolicyAnno] == kube.KeepPolicy {
		return nil, nil
	}
	return d.change(live, diffDelete, live.Object, nil, "")
}

// change renders a change, nil when the normalised objects are the same.
func (d *differ) change(ref *unstructured.Unstructured, action string, before, after map[string]any, conflict string) (*diffChange, error) {
	var old, new map[string]any
	if before != nil {
		old = normaliseObject(before)
	}
	if after != nil {
		new = normaliseObject(after)
	}
	oldYAML, err := objectYAML(old)
	if err != nil {
		return nil, err
	}
	newYAML, err := objectYAML(new)
	if err != nil {
		return nil, err
	}
	if action == diffUpdate && oldYAML == newYAML {
		return nil, nil
	}
	gvk := ref.GroupVersionKind()
	if gvk.Group == "" && gvk.Kind == "Secret" && !d.showSecrets {
		redactSecretPair(old, new)
		if oldYAML, err = objectYAML(old); err != nil {
			return nil, err
		}
		if newYAML, err = objectYAML(new); err != nil {
			return nil, err
		}
	}
	key := changeKey(ref.GetNamespace(), ref.GetName(), gvk.Kind, ref.GetAPIVersion(), d.namespace)
	verb := map[string]string{diffCreate: "has been added:", diffUpdate: "has changed:", diffDelete: "has been removed:"}[action]
	return &diffChange{
		Kind:       gvk.Kind,
		APIVersion: ref.GetAPIVersion(),
		Namespace:  ref.GetNamespace(),
		Name:       ref.GetName(),
		Action:     action,
		Diff:       changeText(key+" "+verb, oldYAML, newYAML, d.context),
		Conflict:   conflict,
		key:        key,
	}, nil
}

func describeObject(info *resource.Info) string {
	kind := info.Mapping.GroupVersionKind.Kind
	if info.Namespace == "" {
		return fmt.Sprintf("%s %q", kind, info.Name)
	}
	return fmt.Sprintf("%s %q in namespace %q", kind, info.Name, info.Namespace)
}
