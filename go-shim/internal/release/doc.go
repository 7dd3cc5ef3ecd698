// Package release acts on one installed release, as helm's pkg/action
// does: upgrade --install, uninstall, status, test, and the recovery of a
// revision left pending by a killed process. It also prepares the Install
// or Upgrade the diff package dry-runs (Prepare), so that a diff previews
// exactly what an upgrade would send.
//
//   - upgrade.go, prepare.go, cancel.go, errors.go: the upgrade method
//   - current.go: UpgradeBase, the revision an upgrade starts from
//   - uninstall.go, status.go, testrun.go, recover.go: the other methods
package release
