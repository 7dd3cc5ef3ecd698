package kube

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/openapi"
)

// fakeGV is an OpenAPI v3 GroupVersion document whose fetches are counted.
type fakeGV struct {
	url     string
	body    string
	fetches *atomic.Int64
}

func (g fakeGV) Schema(string) ([]byte, error) { g.fetches.Add(1); return []byte(g.body), nil }
func (g fakeGV) ServerRelativeURL() string     { return g.url }

type fakeOpenAPI struct {
	mu    sync.Mutex
	paths map[string]openapi.GroupVersion
}

func (c *fakeOpenAPI) Paths() (map[string]openapi.GroupVersion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths, nil
}

// widgetDoc is a minimal apis/example.com/v1 document: Widget's PATCH takes
// fieldValidation when withParam is set.
func widgetDoc(withParam bool) string {
	params := `[]`
	if withParam {
		params = `[{"name":"fieldValidation","in":"query","schema":{"type":"string"}}]`
	}
	return `{"openapi":"3.0.0","info":{"title":"t","version":"v"},"paths":{` +
		`"/apis/example.com/v1/namespaces/{namespace}/widgets/{name}":{"patch":{` +
		`"x-kubernetes-group-version-kind":{"group":"example.com","version":"v1","kind":"Widget"},` +
		`"parameters":` + params + `}}}}`
}

func TestOpenAPIVerdictCacheKeying(t *testing.T) {
	widget := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	var fetches atomic.Int64
	client := &fakeOpenAPI{paths: map[string]openapi.GroupVersion{
		"apis/example.com/v1": fakeGV{url: "/openapi/v3/apis/example.com/v1?hash=A", body: widgetDoc(true), fetches: &fetches},
	}}
	cache := newVerdictCache()
	verifier := func(server string) resource.Verifier {
		return &sharedVerifierV3{server: server, client: client, cache: cache}
	}
	kubectl := func() resource.Verifier {
		return resource.NewQueryParamVerifierV3(nil, client, resource.QueryParamFieldValidation)
	}
	parses := openAPIParses.Load()
	check := func(what string, server string, wantParses, wantFetches int64) {
		t.Helper()
		got := verifier(server).HasSupport(widget)
		want := kubectl().HasSupport(widget) // the uncached answer
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: got %v, kubectl says %v", what, got, want)
		}
		if n := openAPIParses.Load() - parses; n != wantParses {
			t.Errorf("%s: %d parses, want %d", what, n, wantParses)
		}
		fetches.Add(-1) // kubectl's own fetch
		if n := fetches.Load(); n != wantFetches {
			t.Errorf("%s: %d fetches, want %d", what, n, wantFetches)
		}
	}
	check("first", "https://a", 1, 1)
	check("same hash", "https://a", 1, 1)
	check("same hash again", "https://a", 1, 1)
	check("other server", "https://b", 2, 2)

	// The schema changes (a CRD edited): new hash, PATCH loses the param.
	client.mu.Lock()
	client.paths = map[string]openapi.GroupVersion{
		"apis/example.com/v1": fakeGV{url: "/openapi/v3/apis/example.com/v1?hash=B", body: widgetDoc(false), fetches: &fetches},
	}
	client.mu.Unlock()
	check("new hash", "https://a", 3, 3)
	if err := verifier("https://a").HasSupport(widget); !resource.IsParamUnsupportedError(err) {
		t.Fatalf("after the change: %v", err)
	}
	check("new hash reused", "https://a", 3, 3)

	// One entry per server and GroupVersion, holding the newest hash.
	if n := len(cache.entries); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	if e := cache.entries[verdictKey{"https://a", widget.GroupVersion()}]; !strings.HasSuffix(e.url, "hash=B") || len(e.verdicts) != 1 {
		t.Errorf("entry: %+v", e)
	}

	// Concurrent askers of a new document parse it once.
	client.mu.Lock()
	client.paths = map[string]openapi.GroupVersion{
		"apis/example.com/v1": fakeGV{url: "/openapi/v3/apis/example.com/v1?hash=C", body: widgetDoc(true), fetches: &fetches},
	}
	client.mu.Unlock()
	before := openAPIParses.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := verifier("https://a").HasSupport(widget); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := openAPIParses.Load() - before; n != 1 {
		t.Errorf("%d parses for 8 concurrent askers, want 1", n)
	}

	// A GroupVersion the server does not publish is not cached.
	gadget := schema.GroupVersionKind{Group: "other.com", Version: "v1", Kind: "Gadget"}
	v := &sharedVerifierV3{server: "https://a", client: client, cache: cache,
		finder: resource.NewCRDFinder(func() ([]schema.GroupKind, error) { return nil, nil })}
	if err := v.HasSupport(gadget); !resource.IsParamUnsupportedError(err) {
		t.Errorf("unpublished GV without a CRD: %v", err)
	}
	if _, ok := cache.entries[verdictKey{"https://a", gadget.GroupVersion()}]; ok {
		t.Error("unpublished GV cached")
	}
}
