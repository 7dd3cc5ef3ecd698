package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/storage/driver"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// These tests need no cluster: the kubeconfig is written by the test.

func mustOpenFail(t *testing.T, k Settings, fragments ...string) *fault.Error {
	t.Helper()
	s, err := Open(context.Background(), k)
	if err == nil {
		t.Fatalf("opened %+v", s)
	}
	e := shimtest.AsFault(err)
	if e == nil || e.Kind != fault.KindKube {
		t.Fatalf("want a kube error, got %v", err)
	}
	for _, want := range fragments {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message lacks %q: %s", want, e.Message)
		}
	}
	return e
}

func TestMissingContextNamesTheContexts(t *testing.T) {
	kubeconfig := shimtest.Kubeconfig(t, "https://127.0.0.1:1")
	e := mustOpenFail(t, Settings{Kubeconfig: kubeconfig, Context: "gamma", Namespace: "x"}, `"gamma"`, "alpha, beta", kubeconfig)
	if e.Details["contexts"] != "alpha,beta" || e.Details["kubeconfig"] != kubeconfig {
		t.Errorf("details: %v", e.Details)
	}
}

func TestUnreachableServerFailsFast(t *testing.T) {
	kubeconfig := shimtest.Kubeconfig(t, "https://127.0.0.1:1")
	start := time.Now()
	e := mustOpenFail(t, Settings{Kubeconfig: kubeconfig, Context: "beta", Namespace: "x"}, "https://127.0.0.1:1", `"beta"`, "unreachable")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s", elapsed)
	}
	if e.Details["server"] != "https://127.0.0.1:1" || e.Details["context"] != "beta" || e.Details["namespace"] != "x" {
		t.Errorf("details: %v", e.Details)
	}
}

// A server that accepts connections and never answers must fail within the
// reachability timeout, not client-go's.
func TestSilentServerFailsWithinTheReachabilityTimeout(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, silent, until the test ends
		}
	}()
	server := "https://" + listener.Addr().String()
	kubeconfig := shimtest.Kubeconfig(t, server)
	start := time.Now()
	mustOpenFail(t, Settings{Kubeconfig: kubeconfig, Namespace: "x"}, server, `"alpha"`)
	if elapsed := time.Since(start); elapsed > reachabilityTimeout+2*time.Second {
		t.Errorf("took %s", elapsed)
	}
}

func TestNoCurrentContextNamesTheContexts(t *testing.T) {
	kubeconfig := shimtest.Kubeconfig(t, "https://127.0.0.1:1")
	raw, _ := os.ReadFile(kubeconfig)
	_ = os.WriteFile(kubeconfig, []byte(strings.Replace(string(raw), "current-context: alpha", "", 1)), 0o600)
	mustOpenFail(t, Settings{Kubeconfig: kubeconfig}, "alpha, beta", "no current-context")
}

// A cancelled call fails as cancelled, not as an unreachable server.
func TestOpenIsCancelled(t *testing.T) {
	kubeconfig := shimtest.Kubeconfig(t, "https://127.0.0.1:1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Open(ctx, Settings{Kubeconfig: kubeconfig})
	if e := shimtest.AsFault(err); e == nil || e.Kind != fault.KindCancelled {
		t.Fatalf("got %v", err)
	}
}

// The namespace defaults to the context's, and the session can read
// Helm's storage of a server that answers.
func TestOpenAnEmptyServer(t *testing.T) {
	kubeconfig := shimtest.EmptyAPIServer(t)
	s, err := Open(context.Background(), Settings{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	if s.Namespace != "default" {
		t.Errorf("namespace %q, want the context's", s.Namespace)
	}
	last, err := s.LastRelease("web")
	if err != nil || last != nil {
		t.Errorf("last release of nothing: %v, %v", last, err)
	}
}

// A missing release is its own kind, however the SDK wraps the storage's
// error; other failures keep the fallback kind.
func TestClassifyReleaseNotFound(t *testing.T) {
	s := &Session{Namespace: "ns", context: "alpha"}
	for _, err := range []error{
		driver.ErrReleaseNotFound,
		fmt.Errorf("uninstall: Release not loaded: web: %w", driver.ErrReleaseNotFound),
		fmt.Errorf("query: %v", driver.ErrReleaseNotFound), // the identity lost
	} {
		e := s.Classify(err, "web", fault.KindRelease)
		if e.Kind != fault.KindReleaseNotFound || e.Message != `release "web" not found in namespace "ns"` ||
			e.Details["release"] != "web" || e.Details["namespace"] != "ns" {
			t.Errorf("%v: %+v", err, e)
		}
	}
	if e := s.Classify(errors.New("another operation is in progress"), "web", fault.KindRelease); e.Kind != fault.KindRelease {
		t.Errorf("busy: %+v", e)
	}
	if e := s.Classify(fmt.Errorf("wait: %w", context.Canceled), "web", fault.KindRelease); e.Kind != fault.KindCancelled {
		t.Errorf("cancelled: %+v", e)
	}
}
