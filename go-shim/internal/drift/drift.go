package drift

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/diff"
	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// Params names the release and what to do about drift.
type Params struct {
	ReleaseName string        `json:"release_name"`
	Namespace   string        `json:"namespace"`
	Kube        kube.Settings `json:"kube"`
	Heal        bool          `json:"heal,omitempty"`
	// IgnoreManagers: a drifted field owned live (managedFields) by these
	// managers only is not drift (a controller meant to change it, as an
	// autoscaler does replicas), and heal leaves it alone.
	IgnoreManagers []string `json:"ignore_managers,omitempty"`
	ShowSecrets    bool     `json:"show_secrets,omitempty"`
}

// Result is the drifted objects of one release.
type Result struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	Revision  int    `json:"revision"` // the revision compared with
	// Note says why the revision compared is not the last one (it is
	// pending or failed), empty otherwise.
	Note    string   `json:"note,omitempty"`
	Objects []Object `json:"objects"` // drifted objects only, by kind, namespace, name
	Checked int      `json:"checked"` // objects of the revision compared
}

// Object is one drifted object.
type Object struct {
	APIVersion string  `json:"api_version"`
	Kind       string  `json:"kind"`
	Namespace  string  `json:"namespace"` // empty for cluster-scoped objects
	Name       string  `json:"name"`
	State      string  `json:"state"`  // driftChanged or driftDeleted
	Fields     []Field `json:"fields"` // the drifted fields of a changed object
	Healed     bool    `json:"healed"`
	// TakenFrom is the field managers (other than Helm) that owned a
	// drifted field before heal applied it again.
	TakenFrom []string `json:"taken_from,omitempty"`
	HealError string   `json:"heal_error,omitempty"`
}

// Field is one drifted field.
type Field struct {
	Path string `json:"path"` // a JSON pointer: /spec/replicas, /spec/template/spec/containers/0/image
	// Declared is the value the release declares (the prediction's), nil
	// when it declares none; Live the live value, nil when it is absent.
	// A field present on one side only, or a list whose length changed,
	// is reported whole.
	Declared any `json:"declared"`
	Live     any `json:"live"`
	// Manager is the field manager owning the live field (the latest one
	// when several do), empty when none does (a field removed live).
	Manager string `json:"manager,omitempty"`
}

const (
	driftChanged = "changed"
	driftDeleted = "deleted"
)

// Run checks one release for drift (and heals it with p.Heal).
func Run(ctx context.Context, p Params) (*Result, error) {
	if p.ReleaseName == "" {
		return nil, fault.Newf(fault.KindBadRequest, "invalid params: release_name is empty")
	}
	if p.Namespace != "" && p.Kube.Namespace != "" && p.Namespace != p.Kube.Namespace {
		return nil, fault.Newf(fault.KindBadRequest, "invalid params: namespace %q and kube.namespace %q differ", p.Namespace, p.Kube.Namespace)
	}
	target := p.Kube
	if target.Namespace == "" {
		target.Namespace = p.Namespace
	}
	s, err := kube.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	cancelled := func(what string) *fault.Error {
		return s.Fail(fault.KindCancelled, "the drift %s of release %q was cancelled", what, p.ReleaseName).With("release", p.ReleaseName)
	}

	rel, note, err := driftRevision(s, p.ReleaseName)
	if err != nil {
		return nil, err
	}
	c := &driftChecker{
		s:           s,
		release:     rel.Name,
		namespace:   rel.Namespace,
		serverSide:  rel.ApplyMethod == string(releasev1.ApplyMethodServerSideApply),
		ignore:      p.IgnoreManagers,
		showSecrets: p.ShowSecrets,
	}
	objects, err := s.Config.KubeClient.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return nil, s.Fail(fault.KindRelease, "unable to build kubernetes objects from the manifest of release %q revision %d: %v",
			rel.Name, rel.Version, err).With("release", rel.Name)
	}
	for _, info := range objects {
		if u, ok := info.Object.(*unstructured.Unstructured); ok {
			// What Helm applied along with the manifest: without it the
			// prediction would drop Helm's metadata.
			diff.SetHelmMetadata(u, c.release, c.namespace)
		}
	}

	slog.Debug("checking release drift", "release", rel.Name, "namespace", rel.Namespace, "revision", rel.Version,
		"objects", len(objects), "server_side", c.serverSide, "heal", p.Heal)
	started := time.Now()
	findings, err := c.checkAll(ctx, objects)
	if ctx.Err() != nil {
		return nil, cancelled("check")
	}
	if err != nil {
		return nil, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}
	if p.Heal {
		// Detection first, all of it, then heal: a failed heal must not
		// hide the drift of the objects after it.
		if healed, total, ok := c.healAll(ctx, findings); !ok {
			e := cancelled("heal")
			e.Message += fmt.Sprintf("; %d of %d drifted objects were healed before the cancel", healed, total)
			return nil, e
		}
	}
	slog.Debug("checked release drift", "release", rel.Name, "namespace", rel.Namespace, "took", time.Since(started).Round(time.Millisecond))

	result := &Result{
		Release:   rel.Name,
		Namespace: rel.Namespace,
		Revision:  rel.Version,
		Note:      note,
		Objects:   []Object{},
		Checked:   len(objects),
	}
	for _, f := range findings {
		if f != nil {
			result.Objects = append(result.Objects, f.object)
		}
	}
	slices.SortStableFunc(result.Objects, func(a, b Object) int {
		return cmpStrings(a.Kind, b.Kind, a.Namespace, b.Namespace, a.Name, b.Name)
	})
	return result, nil
}

func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}
