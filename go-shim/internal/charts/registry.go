package charts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// RegistryAccess is how helmfire reaches OCI registries: the state's
// `repositories:` with `oci: true` (credentials and TLS per registry host),
// `--oci-plain-http`, and the user's registry credentials file. Credentials
// are handed to the registry client for the call; helmfire never writes
// them to a file (helmfile runs `helm registry login`, which does).
type RegistryAccess struct {
	Registries []RegistryHost `json:"registries,omitempty"`
	// PlainHTTP is `--oci-plain-http`: talk HTTP, not HTTPS, to registries.
	PlainHTTP bool `json:"plain_http,omitempty"`
	// CredentialsFile is helm's registry config (HELM_REGISTRY_CONFIG);
	// empty means helm's default. Docker's config is the fallback, as in helm.
	CredentialsFile string `json:"credentials_file,omitempty"`
}

// RegistryHost is one registry the state names.
type RegistryHost struct {
	// Host is "host[:port]".
	Host string `json:"host"`
	// Name is the state repository's name, for messages.
	Name                  string `json:"name,omitempty"`
	Username              string `json:"username,omitempty"`
	Password              string `json:"password,omitempty"`
	CAFile                string `json:"ca_file,omitempty"`
	CertFile              string `json:"cert_file,omitempty"`
	KeyFile               string `json:"key_file,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecure_skip_tls_verify,omitempty"`
	PlainHTTP             bool   `json:"plain_http,omitempty"`
	// CredentialsFile is the repository's `registryConfig`: a registry
	// config (Docker's config.json format) read for this host instead of
	// helm's when the state gives no username.
	CredentialsFile string `json:"credentials_file,omitempty"`
}

func (a RegistryAccess) host(hostport string) (RegistryHost, bool) {
	for _, r := range a.Registries {
		if strings.EqualFold(r.Host, hostport) {
			return r, true
		}
	}
	return RegistryHost{}, false
}

// plainHTTP tells whether a registry host is reached over plain HTTP.
func (a RegistryAccess) plainHTTP(hostport string) bool {
	r, _ := a.host(hostport)
	return a.PlainHTTP || r.PlainHTTP
}

// client builds a helm registry client for this access. helm's client has
// one plain-HTTP switch for all hosts: it is on when `--oci-plain-http` is
// given or when a registry the call needs (hosts) is marked plainHttp.
// Credentials and TLS settings apply per host.
func (a RegistryAccess) client(out io.Writer, hosts ...string) (*registry.Client, error) {
	transport, err := a.transport()
	if err != nil {
		return nil, err
	}
	httpClient := &http.Client{Transport: transport}
	store, err := a.credentialStore()
	if err != nil {
		return nil, err
	}
	authorizer := auth.Client{
		Client: httpClient,
		Cache:  auth.NewCache(),
		Credential: func(ctx context.Context, hostport string) (auth.Credential, error) {
			r, ok := a.host(hostport)
			if ok && r.Username != "" {
				return auth.Credential{Username: r.Username, Password: r.Password}, nil
			}
			if ok && r.CredentialsFile != "" {
				own, err := credentials.NewStore(r.CredentialsFile, credentials.StoreOptions{})
				if err != nil {
					return auth.EmptyCredential, fault.Newf(fault.KindRepository, "reading the registryConfig %s of repository %q: %v", r.CredentialsFile, r.Name, err).
						With("file", r.CredentialsFile)
				}
				return credentials.Credential(own)(ctx, hostport)
			}
			return credentials.Credential(store)(ctx, hostport)
		},
	}
	opts := []registry.ClientOption{
		registry.ClientOptWriter(out),
		registry.ClientOptHTTPClient(httpClient),
		registry.ClientOptAuthorizer(authorizer),
		registry.ClientOptCredentialsFile(a.credentialsFile()),
	}
	plain := a.PlainHTTP
	for _, h := range hosts {
		plain = plain || a.plainHTTP(h)
	}
	if plain {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	return registry.NewClient(opts...)
}

// withChartOptions is the access with one release's `plainHttp` and
// `insecureSkipTLSVerify` added for its chart's registry host.
func (a RegistryAccess) withChartOptions(host string, o ChartOptions) RegistryAccess {
	if !o.PlainHTTP && !o.InsecureSkipTLSVerify {
		return a
	}
	registries := append([]RegistryHost(nil), a.Registries...)
	for i := range registries {
		if strings.EqualFold(registries[i].Host, host) {
			registries[i].PlainHTTP = registries[i].PlainHTTP || o.PlainHTTP
			registries[i].InsecureSkipTLSVerify = registries[i].InsecureSkipTLSVerify || o.InsecureSkipTLSVerify
			a.Registries = registries
			return a
		}
	}
	a.Registries = append(registries, RegistryHost{Host: host, PlainHTTP: o.PlainHTTP, InsecureSkipTLSVerify: o.InsecureSkipTLSVerify})
	return a
}

func (a RegistryAccess) credentialsFile() string {
	if a.CredentialsFile != "" {
		return a.CredentialsFile
	}
	return cli.New().RegistryConfig
}

// credentialStore is helm's: its registry config, then Docker's.
func (a RegistryAccess) credentialStore() (credentials.Store, error) {
	opts := credentials.StoreOptions{DetectDefaultNativeStore: true}
	store, err := credentials.NewStore(a.credentialsFile(), opts)
	if err != nil {
		return nil, fault.Newf(fault.KindRepository, "reading the registry credentials file %s: %v", a.credentialsFile(), err).
			With("file", a.credentialsFile())
	}
	if docker, err := credentials.NewStoreFromDocker(opts); err == nil {
		return credentials.NewStoreWithFallbacks(store, docker), nil
	}
	return store, nil
}

// transport picks, per request host, a transport with that registry's TLS
// settings (CA, client certificate, skip verification).
func (a RegistryAccess) transport() (http.RoundTripper, error) {
	byHost := map[string]http.RoundTripper{}
	for _, r := range a.Registries {
		if r.CAFile == "" && r.CertFile == "" && r.KeyFile == "" && !r.InsecureSkipTLSVerify {
			continue
		}
		conf, err := r.tlsConfig()
		if err != nil {
			return nil, err
		}
		t, err := defaultTransport()
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = conf
		byHost[strings.ToLower(r.Host)] = t
	}
	fallback, err := defaultTransport()
	if err != nil {
		return nil, err
	}
	if len(byHost) == 0 {
		return fallback, nil
	}
	return hostTransport{byHost: byHost, fallback: fallback}, nil
}

// defaultTransport is a copy of net/http's default transport (proxy
// settings, timeouts), which a program may have replaced by another type.
func defaultTransport() (*http.Transport, error) {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, fault.Newf(fault.KindInternal, "http.DefaultTransport is a %T, not an *http.Transport", http.DefaultTransport)
	}
	return t.Clone(), nil
}

// hostTransport sends each request through the transport of its host.
type hostTransport struct {
	byHost   map[string]http.RoundTripper
	fallback http.RoundTripper
}

func (t hostTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt, ok := t.byHost[strings.ToLower(req.URL.Host)]; ok {
		return rt.RoundTrip(req)
	}
	return t.fallback.RoundTrip(req)
}

func (r RegistryHost) tlsConfig() (*tls.Config, error) {
	conf := &tls.Config{InsecureSkipVerify: r.InsecureSkipTLSVerify} //nolint:gosec // the user's skipTLSVerify
	if (r.CertFile == "") != (r.KeyFile == "") {
		return nil, fault.Newf(fault.KindRepository, "registry %s: certFile and keyFile go together; one of them is missing", r.Host).
			With("repository", r.Host)
	}
	if r.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(r.CertFile, r.KeyFile)
		if err != nil {
			return nil, fault.Newf(fault.KindRepository, "registry %s: loading the client certificate %s: %v", r.Host, r.CertFile, err).
				With("repository", r.Host)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	if r.CAFile != "" {
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return nil, fault.Newf(fault.KindRepository, "registry %s: reading caFile %s: %v", r.Host, r.CAFile, err).
				With("repository", r.Host)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fault.Newf(fault.KindRepository, "registry %s: caFile %s holds no PEM certificate", r.Host, r.CAFile).
				With("repository", r.Host)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// registryHostOf is the "host[:port]" of an OCI reference.
func registryHostOf(ref string) string {
	ref = strings.TrimPrefix(ref, "oci://")
	host, _, _ := strings.Cut(ref, "/")
	return host
}

// describeError turns a registry client error into a sentence that
// says what went wrong and what to do.
func (a RegistryAccess) describeError(ref string, err error) string {
	msg := err.Error()
	host := registryHostOf(ref)
	switch {
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"),
		strings.Contains(msg, "i/o timeout"), strings.Contains(msg, "network is unreachable"):
		return fmt.Sprintf("cannot reach the registry %s: %v", host, err)
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("the registry %s speaks plain HTTP: mark its repository `plainHttp: true` or pass --oci-plain-http", host)
	case strings.Contains(msg, "x509:"), strings.Contains(msg, "tls:"):
		return fmt.Sprintf("TLS with the registry %s failed: %v; give the repository a `caFile` (or `skipTLSVerify: true`)", host, err)
	case strings.Contains(msg, "401"), strings.Contains(msg, "403"), strings.Contains(msg, "unauthorized"),
		strings.Contains(msg, "denied"), strings.Contains(msg, "credential not found"):
		how := "set the repository's username and password (or <NAME>_USERNAME / <NAME>_PASSWORD)"
		if r, ok := a.host(host); ok && r.Name != "" {
			env := strings.ToUpper(strings.ReplaceAll(r.Name, "-", "_"))
			how = fmt.Sprintf("set username and password on repository %q (or %s_USERNAME / %s_PASSWORD)", r.Name, env, env)
		}
		return fmt.Sprintf("the registry %s refused access to %s: %v; %s, or log in with a registry config file (HELM_REGISTRY_CONFIG or docker's config)", host, ref, err, how)
	}
	return fmt.Sprintf("registry %s: %v", host, err)
}
