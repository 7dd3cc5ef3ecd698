// Package untranslated keeps kubectl's message catalogues unloaded.
//
// helmfire links kubectl's command packages (helm's pkg/kube and the
// `kubectlApply` hooks use their code), and several of them translate
// their help texts into package-level variables, so the first of them to
// be initialised parses kubectl's gettext catalogue: 17 ms and 4.4 MB at
// the start of every helmfire process (GODEBUG=inittrace=1), for help
// texts helmfire never shows. kubectl's i18n lets a program replace the
// loader from an init that runs before any translation; Go initialises
// packages whose dependencies are ready in import-path order, and this
// one needs only i18n, so it runs before every k8s.io/kubectl package
// that translates. Untranslated, each text is its English original, which
// is what kubectl shows under LANG=C.
package untranslated

import "k8s.io/kubectl/pkg/util/i18n"

func init() {
	// The error only says translations were loaded already, which the
	// test of this package would catch.
	_ = i18n.SetLoadTranslationsFunc(func() error { return nil })
}
