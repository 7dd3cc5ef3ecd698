package kube

import (
	"context"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"helm.sh/helm/v4/pkg/storage/driver"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

var forbiddenRe = regexp.MustCompile(`User "([^"]*)" cannot (\S+) resource "([^"]*)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?`)

// Classify turns an error of a cluster action on a release into a
// *fault.Error: RBAC refusals and unreachable servers are KindKube, a
// missing release is KindReleaseNotFound, anything not recognised gets the
// fallback kind.
func (s *Session) Classify(err error, releaseName string, fallback fault.Kind) *fault.Error {
	if e, ok := errors.AsType[*fault.Error](err); ok {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return s.Fail(fault.KindCancelled, "the operation on release %q was cancelled", releaseName)
	}
	msg := err.Error()
	switch {
	case apierrors.IsForbidden(err):
		e := s.Fail(fault.KindKube, "%s (context %q)", msg, s.context)
		if m := forbiddenRe.FindStringSubmatch(msg); m != nil {
			e = e.With("user", m[1]).With("verb", m[2]).With("resource", m[3])
			if m[4] != "" {
				e = e.With("api_group", m[4])
			}
		}
		return e
	case apierrors.IsUnauthorized(err):
		return s.Fail(fault.KindKube, "the Kubernetes API server %s (context %q) refused the credentials: %s", s.server, s.context, msg)
	case IsReleaseNotFound(err):
		return s.NotFound(releaseName)
	case isNetworkError(err):
		return s.Fail(fault.KindKube, "the Kubernetes API server %s (context %q) is unreachable: %s", s.server, s.context, msg)
	}
	return s.Fail(fallback, "%s", msg).With("release", releaseName)
}

// NotFound is the error for a release with no revision in the session's
// namespace.
func (s *Session) NotFound(releaseName string) *fault.Error {
	return s.Fail(fault.KindReleaseNotFound, "release %q not found in namespace %q", releaseName, s.Namespace).
		With("release", releaseName)
}

// IsReleaseNotFound tells whether err is Helm storage's "release: not
// found", wrapped or (as some SDK paths format it with %v) quoted.
func IsReleaseNotFound(err error) bool {
	return errors.Is(err, driver.ErrReleaseNotFound) || strings.Contains(err.Error(), driver.ErrReleaseNotFound.Error())
}

func isNetworkError(err error) bool {
	var urlErr *url.Error
	var netErr *net.OpError
	return errors.As(err, &urlErr) || errors.As(err, &netErr) ||
		strings.Contains(err.Error(), "kubernetes cluster unreachable")
}
