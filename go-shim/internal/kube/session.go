package kube

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/cli"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// Settings is the cluster part shared by every cluster action.
type Settings struct {
	// Kubeconfig is a path; empty means $KUBECONFIG as the process started
	// with it, else ~/.kube/config (helm's rules).
	Kubeconfig string `json:"kubeconfig"`
	// Context is a kubeconfig context; empty means its current-context.
	Context string `json:"context"`
	// Namespace is the release namespace; empty means the context's
	// namespace, else "default".
	Namespace string `json:"namespace"`
	// Phase names the read-only phase the call belongs to (phase.go):
	// calls of one phase share what they read about the cluster's shape.
	// Not read from requests: only callers that never write (the diff)
	// set it.
	Phase string `json:"-"`
}

// reachabilityTimeout bounds the check run before any action, so an
// unreachable API server fails fast instead of after client-go's retries.
const reachabilityTimeout = 3 * time.Second

// Session is one action's view of the cluster: helm's settings and a
// Configuration of its own (the SDK wants one per operation).
type Session struct {
	// Env is helm's settings for the call (repositories file, history
	// limit, ...); callers may adjust them before running an action.
	Env *cli.EnvSettings
	// Config is the action Configuration: its KubeClient and Releases.
	Config *action.Configuration
	// Namespace is the release namespace.
	Namespace string

	facts      *serverFacts // the read-only phase's, nil outside one
	contexts   []string     // the kubeconfig's contexts, sorted
	context    string       // the context in use, for messages
	kubeconfig string       // where the kubeconfig came from, for messages
	server     string       // the API server URL, for messages
	getter     *sharingGetter
}

// Open checks that the context exists and the API server answers, then
// initialises a Configuration for the namespace.
func Open(ctx context.Context, k Settings) (*Session, error) {
	env := cli.New()
	// Set explicitly: the environment Go copied at start is not the request.
	env.KubeConfig = k.Kubeconfig
	env.KubeContext = k.Context

	s := &Session{Env: env}
	if err := s.checkContext(k); err != nil {
		return nil, err
	}
	namespace := k.Namespace
	if namespace == "" {
		namespace = env.Namespace() // the context's, else "default"
	}
	env.SetNamespace(namespace)
	s.Namespace = namespace

	getter, err := shareClients(env.RESTClientGetter(), k.Kubeconfig, k.Context)
	if err != nil {
		return nil, s.Fail(fault.KindKube, "cannot use kube context %q of %s: %v", s.context, s.kubeconfig, err)
	}
	s.getter = getter
	restConfig, _ := getter.ToRESTConfig()
	s.server = restConfig.Host
	var facts *serverFacts
	if k.Phase != "" {
		// Per context, not per server: two contexts of one server may
		// have different credentials, and one must not read for the other.
		facts = phases.server(k.Phase, restConfig.Host+"\x00"+s.kubeconfig+"\x00"+s.context)
	}
	if facts == nil || !facts.reachable.Load() {
		if err := s.checkReachable(ctx, restConfig); err != nil {
			return nil, err
		}
		if facts != nil {
			facts.reachable.Store(true)
		}
	}

	// The default slog handler is the shim's log sink (set up by main).
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.Default().Handler()))
	if err := cfg.Init(getter, namespace, "secret"); err != nil {
		return nil, s.Fail(fault.KindKube, "initialising the Helm client for context %q: %v", s.context, err)
	}
	// Validating a manifest parses the server's OpenAPI v3 document of each
	// GroupVersion it uses; helm's CLI does that once per process, helmfire
	// would do it once per Build of every release (most of its CPU on 50
	// releases). The wrapped Factory shares the parsed answers across the
	// process, keyed by server and by the documents' hashes, so a changed
	// CRD is re-read (openapi_cache.go).
	shareOpenAPIVerdicts(cfg, restConfig.Host)
	// Hook logs (helm.sh/hook-output-log-policy) go where helm's CLI sends
	// them, the standard logger, which the log sink receives.
	cfg.SetHookOutputFunc(func(_, _, _ string) io.Writer { return log.Writer() })
	s.Config = cfg
	if facts != nil {
		s.facts = facts
		if err := s.joinPhase(facts); err != nil {
			return nil, s.Fail(fault.KindKube, "reading the API groups of context %q: %v", s.context, err)
		}
	} else if err := s.useActionHistory(); err != nil {
		return nil, s.Fail(fault.KindKube, "unable to generate a Kubernetes client for context %q: %v", s.context, err)
	}
	return s, nil
}

// RESTConfig is a copy of the cluster's REST config (clients.go).
func (s *Session) RESTConfig() *rest.Config {
	c, _ := s.getter.ToRESTConfig()
	return c
}

// Server is the API server's URL.
func (s *Session) Server() string { return s.server }

// checkContext reads the kubeconfig as helm would and fails, naming the
// contexts that exist, when the requested (or current) one is missing.
func (s *Session) checkContext(k Settings) error {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.Kubeconfig != "" {
		rules.ExplicitPath = k.Kubeconfig
		s.kubeconfig = k.Kubeconfig
	} else {
		s.kubeconfig = strings.Join(rules.GetLoadingPrecedence(), string(filepath.ListSeparator))
	}
	raw, err := rules.Load()
	if err != nil {
		return s.Fail(fault.KindKube, "reading kubeconfig %s: %v", s.kubeconfig, err)
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
		return s.Fail(fault.KindKube, "kubeconfig %s has no current-context and no context was given; %s", s.kubeconfig, s.knownContexts()).
			With("contexts", strings.Join(s.contexts, ","))
	}
	if s.context == "" {
		// An empty kubeconfig: in-cluster config or helm's
		// HELM_KUBEAPISERVER may still work; the REST config will tell.
		// With neither, client-go would quietly try http://localhost:8080.
		if os.Getenv("KUBERNETES_SERVICE_HOST") == "" && os.Getenv("HELM_KUBEAPISERVER") == "" {
			where := s.kubeconfig
			if where == "" {
				where = "$KUBECONFIG and ~/.kube/config"
			}
			return s.Fail(fault.KindKube, "found no kubeconfig with a context (looked in %s), and helmfire is not running in a pod (KUBERNETES_SERVICE_HOST is not set); pass --kubeconfig, set KUBECONFIG or create ~/.kube/config", where)
		}
		return nil
	}
	if _, ok := raw.Contexts[s.context]; ok {
		return nil
	}
	which := "kube context"
	if k.Context == "" {
		which = "current-context"
	}
	return s.Fail(fault.KindKube, "%s %q does not exist in kubeconfig %s; %s", which, s.context, s.kubeconfig, s.knownContexts()).
		With("contexts", strings.Join(s.contexts, ","))
}

func (s *Session) knownContexts() string {
	if len(s.contexts) == 0 {
		return "it defines no contexts"
	}
	return "its contexts are: " + strings.Join(s.contexts, ", ")
}

// checkReachable asks the API server for its version with a short timeout.
func (s *Session) checkReachable(ctx context.Context, restConfig *rest.Config) error {
	quick := rest.CopyConfig(restConfig)
	quick.Timeout = reachabilityTimeout
	client, err := discovery.NewDiscoveryClientForConfig(quick)
	if err != nil {
		return s.Fail(fault.KindKube, "cannot build a client for %s (context %q): %v", s.server, s.context, err)
	}
	checkCtx, cancel := context.WithTimeout(ctx, reachabilityTimeout)
	defer cancel()
	_, err = client.RESTClient().Get().AbsPath("/version").Do(checkCtx).Raw()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fault.Classify(ctx.Err(), fault.KindCancelled)
	case apierrors.IsUnauthorized(err):
		return s.Fail(fault.KindKube, "the Kubernetes API server %s (context %q) refused the credentials: %v", s.server, s.context, err)
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return nil // it answered; RBAC or the action will say more
	}
	return s.Fail(fault.KindKube, "the Kubernetes API server %s (context %q) is unreachable: %v", s.server, s.context, err)
}

// Fail builds an error that names the cluster (context, server,
// kubeconfig and namespace in its details).
func (s *Session) Fail(kind fault.Kind, format string, args ...any) *fault.Error {
	e := fault.Newf(kind, format, args...)
	for key, value := range map[string]string{"context": s.context, "server": s.server, "kubeconfig": s.kubeconfig, "namespace": s.Namespace} {
		if value != "" {
			e = e.With(key, value)
		}
	}
	return e
}
