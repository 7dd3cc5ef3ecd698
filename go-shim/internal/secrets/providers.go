package secrets

import (
	"regexp"
	"slices"

	"github.com/helmfile/vals/pkg/providers/registry"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// providerGroups maps each `ref+SCHEME://` that vals serves through its
// provider registry to the build tag that compiles it in (vals'
// register_*.go files). A build that sets HELMFIRE_SECRET_PROVIDERS (see
// build.rs) compiles only the groups it lists, leaving out the cloud SDKs
// of the rest; echo, file, envsubst and exec are always there.
var providerGroups = map[string]string{
	"awskms": "aws", "awssecrets": "aws", "awsssm": "aws", "s3": "aws",
	"azurekeyvault": "azure",
	"bw":            "bitwarden",
	"conjur":        "conjur",
	"doppler":       "doppler",
	"gcpsecrets":    "gcp", "gcs": "gcp", "gkms": "gcp", "googlesheets": "gcp",
	"gitlab":          "gitlab",
	"hcpvaultsecrets": "hcpvaultsecrets",
	"httpjson":        "httpjson",
	"infisical":       "infisical",
	"k8s":             "k8s",
	"keychain":        "keychain",
	"oci":             "oci",
	"op":              "onepassword", "onepasswordconnect": "onepassword",
	"openbao":        "openbao",
	"pulumistateapi": "pulumi",
	"scw":            "scaleway",
	"tss":            "secretserver",
	"servercore":     "servercore",
	"sops":           "sops",
	"tfstate":        "terraform", "tfstategs": "terraform", "tfstates3": "terraform",
	"tfstateazurerm": "terraform", "tfstateremote": "terraform", "tfstategitlab": "terraform",
	"vault":     "vault",
	"yclockbox": "yandex",
}

// ProviderGroups lists the provider groups this build carries, sorted, or
// nil when it carries every one of them (the default build).
func ProviderGroups() []string {
	var present []string
	missing := false
	for scheme, group := range providerGroups {
		if _, ok := registry.GetProvider(scheme); ok {
			if !slices.Contains(present, group) {
				present = append(present, group)
			}
		} else {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	slices.Sort(present)
	if present == nil {
		return []string{}
	}
	return present
}

// unregisteredScheme is how vals says a scheme has no provider.
var unregisteredScheme = regexp.MustCompile(`no provider registered for scheme "([^"]+)"`)

// leftOutProvider turns vals' "no provider registered" for a scheme this
// build left out into an error saying which build flag brings it back; it
// returns nil for any other error.
func leftOutProvider(err error) error {
	m := unregisteredScheme.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	group, known := providerGroups[m[1]]
	if !known {
		return nil
	}
	return fault.Newf(fault.KindValues,
		"the secret reference ref+%s:// needs vals' %q provider, which this helmfire was built without (HELMFIRE_SECRET_PROVIDERS at build time); rebuild with %q in that list, or leave it unset for every provider",
		m[1], group, group)
}
