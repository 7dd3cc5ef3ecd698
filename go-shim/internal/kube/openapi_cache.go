package kube

// A process-wide cache of what helm's validator learns from the API server's
// OpenAPI v3 documents.
//
// With validation on (every upgrade/install manifest, twice per upgrade:
// validateManifest and performUpgrade), helm's kube.Client.Build asks its
// kubectl Factory for a Validator. kubectl's Validator builds, per call, a
// QueryParamVerifierV3 on a fresh memory-cached OpenAPI v3 client; for each
// object's GroupVersionKind it fetches the GroupVersion's OpenAPI document
// (api/v1 is 1.6 MB) and json-unmarshals it into a spec3.OpenAPI only to
// learn whether the PATCH endpoint of that kind takes the fieldValidation
// query parameter (if it does, the server validates strictly and the client
// does not; if it does not, the client validates against the v2 schema).
// helm's CLI pays that once per process; helmfire runs many releases in one
// process and paid it for every Build: measured against a kind cluster, the
// fetch of api/v1 takes ~2-10 ms and its parse ~32 ms of CPU, so the parse
// dominates.
//
// What is cached is the verifier's answer (nil, or the param-unsupported
// error) per GroupVersionKind, keyed by the API server (rest.Config host)
// and the GroupVersion's document URL as the server's /openapi/v3 discovery
// document lists it: that URL carries ?hash=<digest of the document>, which
// the server changes whenever the GroupVersion's schema changes (a CRD
// installed or edited). The discovery document is still fetched once per
// Validator (one small GET per Build), so a changed schema is never answered
// from the cache: the entry is replaced and the new document parsed. There is
// one entry per (server, GroupVersion), holding the answers for the kinds
// asked about, which bounds memory. The answer is computed by cli-runtime's
// own verifier on that one document, so it, and the errors, are those
// kubectl's Validator would give. Failures (fetch errors, undecodable
// documents) are not cached, and neither are answers that depend on more
// than the document (a CRD whose GroupVersion the server does not publish
// yet is answered from the CRD list, as kubectl does, each time). The
// verdicts are also kept on disk for later processes
// (openapi_verdict_store.go).

import (
	"errors"
	"sync"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi/cached"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	kubectlopenapi "k8s.io/kubectl/pkg/util/openapi"
	"k8s.io/kubectl/pkg/validation"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"
)

// openAPICacheEnabled turns the cache off (for the before/after benchmark).
var openAPICacheEnabled atomic.Bool

func init() { openAPICacheEnabled.Store(true) }

// shareOpenAPIVerdicts gives cfg's helm kube.Client a Factory whose
// Validator shares OpenAPI v3 answers for server across the process.
func shareOpenAPIVerdicts(cfg *action.Configuration, server string) {
	if !openAPICacheEnabled.Load() {
		return
	}
	if kc, ok := cfg.KubeClient.(*helmkube.Client); ok {
		if full, ok := kc.Factory.(cmdutil.Factory); ok {
			kc.Factory = &sharedSchemaFactory{Factory: full, server: server}
		}
	}
}

// openAPIParses counts the OpenAPI v3 GroupVersion documents parsed to
// answer the verifier (cache misses), for tests.
var openAPIParses atomic.Int64

// openAPIVerdicts is the process-wide cache.
var openAPIVerdicts = newVerdictCache()

type verdictKey struct {
	server string
	gv     schema.GroupVersion
}

// verdictEntry holds the answers for one GroupVersion document version.
// Its mutex also serialises computing them, so concurrent releases asking
// about the same GroupVersion parse its document once.
type verdictEntry struct {
	mu       sync.Mutex
	url      string // the document's ServerRelativeURL, with ?hash=
	verdicts map[string]error
}

type verdictCache struct {
	mu      sync.Mutex
	entries map[verdictKey]*verdictEntry
}

func newVerdictCache() *verdictCache {
	return &verdictCache{entries: map[verdictKey]*verdictEntry{}}
}

func (c *verdictCache) entry(k verdictKey) *verdictEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	if e == nil {
		e = &verdictEntry{}
		c.entries[k] = e
	}
	return e
}

// hasSupport answers for gvk, whose GroupVersion document is gvDoc at path
// (as listed by the discovery document), from the cache or by parsing.
func (c *verdictCache) hasSupport(server, path string, gvDoc openapi.GroupVersion, gvk schema.GroupVersionKind) error {
	e := c.entry(verdictKey{server: server, gv: gvk.GroupVersion()})
	url := gvDoc.ServerRelativeURL()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.url != url || e.verdicts == nil {
		// First use, or the schema changed: drop the old answers.
		e.url = url
		e.verdicts = map[string]error{}
	}
	if err, ok := e.verdicts[gvk.Kind]; ok {
		return err
	}
	if supported, known := storedVerdict(url, gvk.Kind); known {
		var err error
		if !supported {
			err = resource.NewParamUnsupportedError(gvk, resource.QueryParamFieldValidation)
		}
		e.verdicts[gvk.Kind] = err
		return err
	}
	openAPIParses.Add(1)
	// cli-runtime's verifier, on a client that lists only this document
	// (so its CRD fallback, which needs the dynamic client, is unreachable).
	err := resource.NewQueryParamVerifierV3(nil, singleGVClient{path: path, gv: gvDoc}, resource.QueryParamFieldValidation).HasSupport(gvk)
	if err == nil || resource.IsParamUnsupportedError(err) {
		e.verdicts[gvk.Kind] = err
		storeVerdict(url, gvk.Kind, err == nil)
	}
	return err
}

// singleGVClient is an openapi.Client listing one GroupVersion document.
type singleGVClient struct {
	path string
	gv   openapi.GroupVersion
}

func (c singleGVClient) Paths() (map[string]openapi.GroupVersion, error) {
	return map[string]openapi.GroupVersion{c.path: c.gv}, nil
}

// sharedVerifierV3 is resource.NewQueryParamVerifierV3's HasSupport, with
// the GroupVersion documents' answers taken from openAPIVerdicts.
type sharedVerifierV3 struct {
	server string
	client openapi.Client // memory-cached per Validator, as kubectl's
	finder resource.CRDFinder
	cache  *verdictCache
}

// errGVNotPublished stands for openapi3.GroupVersionNotFoundError, which
// cli-runtime's verifier never returns either.
var errGVNotPublished = errors.New("group version not in the OpenAPI v3 discovery document")

var namespaceGVK = schema.GroupVersionKind{Group: "", Version: "v1", Kind: "Namespace"}

func (v *sharedVerifierV3) HasSupport(gvk schema.GroupVersionKind) error {
	if (gvk == schema.GroupVersionKind{Version: "v1", Kind: "List"}) {
		return resource.NewParamUnsupportedError(gvk, resource.QueryParamFieldValidation)
	}
	err := v.fromDocument(gvk)
	if err != errGVNotPublished {
		return err
	}
	// As cli-runtime: a CRD whose GroupVersion is not published is checked
	// against Namespace's PATCH endpoint.
	if found, _ := v.finder.HasCRD(gvk.GroupKind()); found {
		return v.fromDocument(namespaceGVK)
	}
	return resource.NewParamUnsupportedError(gvk, resource.QueryParamFieldValidation)
}

func (v *sharedVerifierV3) fromDocument(gvk schema.GroupVersionKind) error {
	paths, err := v.client.Paths()
	if err != nil {
		return err
	}
	path := gvAPIPath(gvk.GroupVersion())
	gvDoc, found := paths[path]
	if !found {
		return errGVNotPublished
	}
	return v.cache.hasSupport(v.server, path, gvDoc, gvk)
}

// gvAPIPath is client-go openapi3's gvToAPIPath.
func gvAPIPath(gv schema.GroupVersion) string {
	if len(gv.Group) > 0 {
		return "apis/" + gv.Group + "/" + gv.Version
	}
	return "api/" + gv.Version
}

// perCallVerifier memoises answers, errors included, for the life of one
// Validator, as kubectl's own per-call verifier does.
type perCallVerifier struct {
	mu    sync.RWMutex
	cache map[schema.GroupVersionKind]error
	next  resource.Verifier
}

func (cv *perCallVerifier) HasSupport(gvk schema.GroupVersionKind) error {
	cv.mu.RLock()
	err, ok := cv.cache[gvk]
	cv.mu.RUnlock()
	if ok {
		return err
	}
	err = cv.next.HasSupport(gvk)
	cv.mu.Lock()
	cv.cache[gvk] = err
	cv.mu.Unlock()
	return err
}

// sharedSchemaFactory is the kubectl Factory helm's kube.Client was given,
// with Validator replaced by kubectl's own, except that the v3 verifier
// shares answers across the process (see the top of this file). Embedding
// the full cmdutil.Factory keeps helm's type switches to it working.
type sharedSchemaFactory struct {
	cmdutil.Factory
	server string
	facts  *serverFacts // the read-only phase's, nil outside one
}

// Validator composes the validators kubectl's Factory composes (schema
// validation, no duplicate keys, and the fieldValidation query-parameter
// check with its v2 fallback), with the primary, v3, check answered from
// the shared cache. Re-check it when k8s.io/kubectl is upgraded.
func (f *sharedSchemaFactory) Validator(validationDirective string) (validation.Schema, error) {
	if validationDirective == metav1.FieldValidationIgnore {
		return validation.NullSchema{}, nil
	}
	schemas := validation.ConjunctiveSchema{
		validation.NewSchemaValidation(f),
		validation.NoDoubleKeySchema{},
	}
	dynamicClient, err := f.DynamicClient()
	if err != nil {
		return nil, err
	}
	discoveryClient, err := f.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	var documents openapi.Client = cached.NewClient(discoveryClient.OpenAPIV3())
	if f.facts != nil {
		// Within a phase the list of documents (and their hashes) is the
		// one the phase read first.
		documents = &phaseOpenAPI{Client: documents, facts: f.facts}
	}
	queryParam := resource.QueryParamFieldValidation
	primary := &perCallVerifier{
		cache: map[schema.GroupVersionKind]error{},
		next: &sharedVerifierV3{
			server: f.server,
			client: documents,
			finder: resource.NewCRDFinder(resource.CRDFromDynamic(dynamicClient)),
			cache:  openAPIVerdicts,
		},
	}
	secondary := resource.NewQueryParamVerifier(dynamicClient, kubectlopenapi.NewOpenAPIGetter(discoveryClient), queryParam)
	fallback := resource.NewFallbackQueryParamVerifier(primary, secondary)
	return validation.NewParamVerifyingSchema(schemas, fallback, validationDirective), nil
}
