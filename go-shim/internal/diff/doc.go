// Package diff computes what `helm upgrade --install` of a release would
// change in the cluster as it is now, drift included, and prints it as
// helm-diff does: the release is rendered by a server dry run of the
// prepared Install or Upgrade (internal/release), and every object is
// compared with the API server's prediction (a dry-run apply) of what the
// upgrade would make of the live object.
//
// The object-level parts (reading live objects, predicting an apply,
// normalising objects) are exported on purpose: drift compares the live
// cluster with the deployed revision through the same prediction.
//
//   - diff.go: the diff method, its params and result
//   - differ.go, hooks.go: comparing a release's objects and test hooks
//   - objects.go: Object, GetLive, Normalise, SetHelmMetadata, helm-diff's names
//   - predict.go: ApplyStrategy, Predict, ClientSidePatch
//   - text.go: helm-diff's text of a change (a Myers line diff)
package diff
