// Package render renders charts offline, as `helm template` and `helm
// lint` do, and owns what every render of a chart shares, offline or
// against a cluster: locating and checking the chart, merging the values
// in helm's order, the exec post-renderer and the image substitutions.
//
// It knows nothing of clusters or releases in storage; the release package
// uses its chart, values and post-renderer parts for upgrades and diffs.
//
//   - template.go, manifests.go, outputdir.go: the template method and its output
//   - lint.go: the lint method
//   - chart.go: LoadInstallableChart, the checks helm makes before rendering
//   - chart_cache.go, chart_stat_*.go: each chart loaded once per process and
//     copied for every release that uses it, until one of its files changes
//   - values.go: ValueSource, ValueOverrides, MergeValues
//   - postrender.go: the exec post-renderer, PostRenderer for deploys
//   - images.go, image_ref.go, image_rewrite.go: image substitution
package render
