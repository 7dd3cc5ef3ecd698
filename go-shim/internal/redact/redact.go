// Package redact hides secrets in what the shim shows: Secret values and
// the last-applied-configuration annotation in diff and drift output, and
// credentials written in URLs in log lines and error messages.
//
// Object redaction follows helm-diff (diff/diff.go, redactSecrets): a value
// becomes "REDACTED # (N bytes)", its length only; between two versions a
// changed value shows as "-------- # (N bytes)" on the old side and
// "++++++++ # (N bytes)" on the new, so that a change still shows and the
// value never does.
package redact

import "fmt"

// LastAppliedAnnotation is where `kubectl apply` keeps the whole object it
// applied: for a Secret that is every value again, in clear in its
// stringData or base64 in its data.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

const (
	markSame    = "REDACTED"
	markRemoved = "--------"
	markAdded   = "++++++++"
)

// Mark is helm-diff's stand-in for a hidden value of n bytes.
func Mark(n int) string { return mark(markSame, n) }

func mark(prefix string, n int) string { return fmt.Sprintf("%s # (%d bytes)", prefix, n) }
