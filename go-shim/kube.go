package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
)

func init() {
	// client-go logs through klog, which writes to stderr by default; the
	// shim's output goes through the log sink only.
	klog.SetSlogLogger(slog.New(newSinkHandler()))
}

// kubeSettings is the cluster part shared by every cluster action.
type kubeSettings struct {
	// Kubeconfig is a path; empty means $KUBECONFIG as the process started
	// with it, else ~/.kube/config (helm's rules).
	Kubeconfig string `json:"kubeconfig"`
	// Context is a kubeconfig context; empty means its current-context.
	Context string `json:"context"`
	// Namespace is the release namespace; empty means the context's
	// namespace, else "default".
	Namespace string `json:"namespace"`
}

const (
	// reachabilityTimeout bounds the check run before any action, so an
	// unreachable API server fails fast instead of after client-go's retries.
	reachabilityTimeout = 3 * time.Second
	// defaultTimeout is helm's --timeout default.
	defaultTimeout = 300 * time.Second
	// statusComputeWorkers is what helm's CLI sets (defaultCLIWaitOptions).
	statusComputeWorkers = 8
)

// kubeSession is one action's view of the cluster: helm's settings and a
// Configuration of its own (the SDK wants one per operation).
type kubeSession struct {
	settings   *cli.EnvSettings
	cfg        *action.Configuration
	namespace  string   // the release namespace ("" only for all namespaces)
	contexts   []string // the kubeconfig's contexts, sorted
	context    string   // the context in use, for messages
	kubeconfig string   // where the kubeconfig came from, for messages
	server     string   // the API server URL, for messages
}

// openKube checks the context exists and the API server answers, then
// initialises a Configuration for the namespace (all namespaces when
// allNamespaces is set).
func openKube(ctx context.Context, k kubeSettings, allNamespaces bool) (*kubeSession, error) {
	settings := cli.New()
	// Set explicitly: the environment Go copied at start is not the request.
	settings.KubeConfig = k.Kubeconfig
	settings.KubeContext = k.Context

	s := &kubeSession{settings: settings}
	if err := s.checkContext(k); err != nil {
		return nil, err
	}
	namespace := k.Namespace
	switch {
	case allNamespaces:
		namespace = ""
	case namespace == "":
		namespace = settings.Namespace() // the context's, else "default"
	}
	settings.SetNamespace(namespace)
	s.namespace = namespace

	getter := settings.RESTClientGetter()
	restConfig, err := getter.ToRESTConfig()
	if err != nil {
		return nil, s.fail(KindKube, "cannot use kube context %q of %s: %v", s.context, s.kubeconfig, err)
	}
	s.server = restConfig.Host
	if err := s.checkReachable(ctx, restConfig); err != nil {
		return nil, err
	}

	cfg := action.NewConfiguration(action.ConfigurationSetLogger(newSinkHandler()))
	if err := cfg.Init(getter, namespace, "secret"); err != nil {
		return nil, s.fail(KindKube, "initialising the Helm client for context %q: %v", s.context, err)
	}
	// --- OpenAPI v3 cache (openapi_cache.go) ---
	// Validating a manifest parses the server's OpenAPI v3 document of each
	// GroupVersion it uses; helm's CLI does that once per process, helmfire
	// once per Build of every release (most of its CPU on 50 releases). The
	// wrapped Factory shares the parsed answers across the process, keyed by
	// server and by the documents' hashes, so a changed CRD is re-read.
	shareOpenAPIVerdicts(cfg, restConfig.Host)
	// --- end OpenAPI v3 cache ---
	// Hook logs (helm.sh/hook-output-log-policy) go where helm's CLI sends
	// them, the standard logger, which logsink.go routes to the sink.
	cfg.SetHookOutputFunc(func(_, _, _ string) io.Writer { return log.Writer() })
	s.cfg = cfg
	return s, nil
}

// checkContext reads the kubeconfig as helm would and fails, naming the
// contexts that exist, when the requested (or current) one is missing.
func (s *kubeSession) checkContext(k kubeSettings) error {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.Kubeconfig != "" {
		rules.ExplicitPath = k.Kubeconfig
		s.kubeconfig = k.Kubeconfig
	} else {
		s.kubeconfig = strings.Join(rules.GetLoadingPrecedence(), string(filepath.ListSeparator))
	}
	raw, err := rules.Load()
	if err != nil {
		return s.fail(KindKube, "reading kubeconfig %s: %v", s.kubeconfig, err)
	}
	for name := range raw.Contexts {
		s.contexts = append(s.contexts, name)
	}
	slices.Sort(s.contexts)
	s.context = k.Context
	if s.context == "" {
		s.context = raw.CurrentContext
	}
	if s.context == "" && len(s.contexts) > 0 {
		return s.fail(KindKube, "kubeconfig %s has no current-context and no context was given; %s", s.kubeconfig, s.knownContexts()).
			withDetail("contexts", strings.Join(s.contexts, ","))
	}
	if s.context == "" {
		// An empty kubeconfig: in-cluster config or helm's HELM_KUBE*
		// variables may still work; the REST config will tell.
		return nil
	}
	if _, ok := raw.Contexts[s.context]; ok {
		return nil
	}
	which := "kube context"
	if k.Context == "" {
		which = "current-context"
	}
	return s.fail(KindKube, "%s %q does not exist in kubeconfig %s; %s", which, s.context, s.kubeconfig, s.knownContexts()).
		withDetail("contexts", strings.Join(s.contexts, ","))
}

func (s *kubeSession) knownContexts() string {
	if len(s.contexts) == 0 {
		return "it defines no contexts"
	}
	return "its contexts are: " + strings.Join(s.contexts, ", ")
}

// checkReachable asks the API server for its version with a short timeout.
func (s *kubeSession) checkReachable(ctx context.Context, restConfig *rest.Config) error {
	quick := rest.CopyConfig(restConfig)
	quick.Timeout = reachabilityTimeout
	client, err := discovery.NewDiscoveryClientForConfig(quick)
	if err != nil {
		return s.fail(KindKube, "cannot build a client for %s (context %q): %v", s.server, s.context, err)
	}
	checkCtx, cancel := context.WithTimeout(ctx, reachabilityTimeout)
	defer cancel()
	_, err = client.RESTClient().Get().AbsPath("/version").Do(checkCtx).Raw()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return classify(ctx.Err(), KindCancelled)
	case apierrors.IsUnauthorized(err):
		return s.fail(KindKube, "the Kubernetes API server %s (context %q) refused the credentials: %v", s.server, s.context, err)
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return nil // it answered; RBAC or the action will say more
	}
	return s.fail(KindKube, "the Kubernetes API server %s (context %q) is unreachable: %v", s.server, s.context, err)
}

// fail builds an error that names the cluster.
func (s *kubeSession) fail(kind ErrorKind, format string, args ...any) *ShimError {
	e := failf(kind, format, args...)
	for key, value := range map[string]string{"context": s.context, "server": s.server, "kubeconfig": s.kubeconfig, "namespace": s.namespace} {
		if value != "" {
			e = e.withDetail(key, value)
		}
	}
	return e
}

// waitOptions are the SDK's wait options for this call: helm CLI's
// defaults, and the call's context so that cancelling stops waiting.
func waitOptions(ctx context.Context) []kube.WaitOption {
	return []kube.WaitOption{
		kube.WithStatusComputeWorkers(statusComputeWorkers),
		kube.WithWaitContext(ctx),
	}
}

func waitStrategy(wait bool) kube.WaitStrategy {
	if wait {
		return kube.StatusWatcherStrategy
	}
	return kube.HookOnlyStrategy
}

func timeoutOrDefault(seconds int) time.Duration {
	if seconds <= 0 {
		return defaultTimeout
	}
	return time.Duration(seconds) * time.Second
}

// cancelWhileRunning returns a context cancelled when parent is, until
// detach is called. The SDK's Upgrade watches its context in a goroutine
// that may outlive the call; the call's own context is cancelled when the
// call returns, which must not mark a finished upgrade failed.
func cancelWhileRunning(parent context.Context) (ctx context.Context, detach func()) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(parent, cancel)
	return ctx, func() { stop() }
}

var forbiddenRe = regexp.MustCompile(`User "([^"]*)" cannot (\S+) resource "([^"]*)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?`)

// classify turns an error of a cluster action into a ShimError; fallback
// is the kind of anything not recognised.
func (s *kubeSession) classify(err error, releaseName string, fallback ErrorKind) *ShimError {
	var se *ShimError
	if errors.As(err, &se) {
		return se
	}
	if errors.Is(err, context.Canceled) {
		return s.fail(KindCancelled, "the operation on release %q was cancelled", releaseName)
	}
	msg := err.Error()
	switch {
	case apierrors.IsForbidden(err):
		e := s.fail(KindKube, "%s (context %q)", msg, s.context)
		if m := forbiddenRe.FindStringSubmatch(msg); m != nil {
			e = e.withDetail("user", m[1]).withDetail("verb", m[2]).withDetail("resource", m[3])
			if m[4] != "" {
				e = e.withDetail("api_group", m[4])
			}
		}
		return e
	case apierrors.IsUnauthorized(err):
		return s.fail(KindKube, "the Kubernetes API server %s (context %q) refused the credentials: %s", s.server, s.context, msg)
	case errors.Is(err, driver.ErrReleaseNotFound):
		return s.fail(KindRelease, "release %q not found in namespace %q", releaseName, s.namespace).withDetail("release", releaseName)
	case isNetworkError(err):
		return s.fail(KindKube, "the Kubernetes API server %s (context %q) is unreachable: %s", s.server, s.context, msg)
	}
	return s.fail(fallback, "%s", msg).withDetail("release", releaseName)
}

func isNetworkError(err error) bool {
	var urlErr *url.Error
	var netErr *net.OpError
	return errors.As(err, &urlErr) || errors.As(err, &netErr) ||
		strings.Contains(err.Error(), "kubernetes cluster unreachable")
}

// lastRelease is the release's latest revision, nil when it has none.
func (s *kubeSession) lastRelease(name string) (*release.Release, error) {
	last, err := s.cfg.Releases.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return toV1(last)
}

// toV1 narrows the SDK's Releaser to the v1 release it stores.
func toV1(r any) (*release.Release, error) {
	switch rel := r.(type) {
	case *release.Release:
		return rel, nil
	case release.Release:
		return &rel, nil
	case nil:
		return nil, nil
	default:
		return nil, failf(KindInternal, "unsupported release type %T", r)
	}
}

// withReleaseState adds the release's stored state to an error's details,
// so a failed operation says what it left behind.
func (s *kubeSession) withReleaseState(e *ShimError, name string) *ShimError {
	rel, err := s.lastRelease(name)
	if err != nil || rel == nil || rel.Info == nil {
		return e
	}
	return e.withDetail("status", rel.Info.Status.String()).withDetail("revision", strconv.Itoa(rel.Version))
}

// chartName is helm's "NAME-VERSION", as `helm list` and `helm status` show it.
func chartName(c *chart.Chart) string {
	if c == nil || c.Metadata == nil {
		return "MISSING"
	}
	return fmt.Sprintf("%s-%s", c.Name(), c.Metadata.Version)
}

func appVersion(c *chart.Chart) string {
	if c == nil || c.Metadata == nil {
		return "MISSING"
	}
	return c.AppVersion()
}

// timestamp formats a release time as RFC 3339 (empty for the zero time).
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
