// Package drift compares the live objects of a release with its LAST
// DEPLOYED revision (not with a new render, which is what diff does):
// fields changed outside Helm and objects deleted outside Helm. With heal
// it applies the drifted objects again, as Helm applied them (heal.go).
//
// The comparison reuses the diff package's prediction (diff.Predict): the
// API server's dry run of the request Helm would send with the deployed
// object. That request sets every field the release declares to the
// declared value and leaves the fields it does not declare as they are
// live, so the prediction differs from the live object exactly where a
// declared field was changed or removed.
//
//   - drift.go: the drift method, its params and result
//   - revision.go: which revision the cluster is compared with
//   - check.go, tree.go: finding drifted objects and fields
//   - ownership.go: who owns a field (managedFields)
//   - heal.go: applying drifted objects again
package drift
