package kube

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// LastRelease is the release's latest revision, nil when it has none.
func (s *Session) LastRelease(name string) (*releasev1.Release, error) {
	last, err := s.Config.Releases.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ToV1(last)
}

// WithReleaseState adds the release's stored state (status, revision) to
// an error's details, so that a failed operation says what it left behind.
func (s *Session) WithReleaseState(e *fault.Error, name string) *fault.Error {
	rel, err := s.LastRelease(name)
	if err != nil || rel == nil || rel.Info == nil {
		return e
	}
	return e.With("status", rel.Info.Status.String()).With("revision", strconv.Itoa(rel.Version))
}

// ToV1 narrows the SDK's Releaser to the v1 release it stores.
func ToV1(r any) (*releasev1.Release, error) {
	switch rel := r.(type) {
	case *releasev1.Release:
		return rel, nil
	case releasev1.Release:
		return &rel, nil
	case nil:
		return nil, nil
	default:
		return nil, fault.Newf(fault.KindInternal, "unsupported release type %T", r)
	}
}

// ChartName is helm's "NAME-VERSION", as `helm list` and `helm status`
// show it.
func ChartName(c *chart.Chart) string {
	if c == nil || c.Metadata == nil {
		return "MISSING"
	}
	return fmt.Sprintf("%s-%s", c.Name(), c.Metadata.Version)
}

// AppVersion is the chart's appVersion, "MISSING" as helm shows it.
func AppVersion(c *chart.Chart) string {
	if c == nil || c.Metadata == nil {
		return "MISSING"
	}
	return c.AppVersion()
}

// Timestamp formats a release time as RFC 3339 (empty for the zero time).
func Timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
