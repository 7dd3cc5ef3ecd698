//go:build !custom_providers || helmfire_yandex

package secrets

import (
	"github.com/helmfile/vals/pkg/api"
	"github.com/helmfile/vals/pkg/config"
	"github.com/helmfile/vals/pkg/log"
	"github.com/helmfile/vals/pkg/providers/registry"

	"github.com/helmfire/helmfire/go-shim/internal/secrets/yclockbox"
)

// `ref+yclockbox://` is served by helmfire's own Lockbox client
// (internal/secrets/yclockbox says why). build.rs builds the shim without
// vals' tag for it (`yandex`) and with this file's (`helmfire_yandex`).
// In a build without tags, as `go test` makes, vals registers its own
// provider too, and this one replaces it: Go initialises vals, which this
// package imports, first.
func init() {
	registry.RegisterProvider(yclockbox.Scheme, func(_ *log.Logger, conf config.MapConfig, _ string) (api.Provider, error) {
		provider, err := yclockbox.New(conf)
		if err != nil {
			return nil, err // not a nil *Provider in a non-nil interface
		}
		return provider, nil
	})
}
