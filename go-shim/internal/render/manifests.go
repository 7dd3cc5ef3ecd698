package render

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// assembleManifests joins the release manifest and its hooks exactly as
// `helm template` prints them.
func assembleManifests(rel *release.Release, skipTests bool) string {
	var out bytes.Buffer
	fmt.Fprintln(&out, strings.TrimSpace(rel.Manifest))
	for _, hook := range rel.Hooks {
		if skipTests && slices.Contains(hook.Events, release.HookTest) {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", hook.Path, hook.Manifest)
	}
	return out.String()
}

var showOnlySourceRe = regexp.MustCompile("# Source: [^/]+/(.+)")

// filterShowOnly keeps the manifests rendered from the given templates, in
// the order helm's --show-only prints them.
func filterShowOnly(manifests string, patterns []string) (string, error) {
	split := releaseutil.SplitManifests(manifests)
	keys := make([]string, 0, len(split))
	for k := range split {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))

	var out strings.Builder
	for _, pattern := range patterns {
		pattern = filepath.ToSlash(pattern)
		found := false
		for _, key := range keys {
			manifest := split[key]
			match := showOnlySourceRe.FindStringSubmatch(manifest)
			if len(match) == 0 {
				continue
			}
			if ok, _ := filepath.Match(pattern, match[1]); !ok {
				continue
			}
			fmt.Fprintf(&out, "---\n%s\n", manifest)
			found = true
		}
		if !found {
			return "", fault.Newf(fault.KindRender, "could not find template %s in chart", pattern)
		}
	}
	return out.String(), nil
}
