package redact

import (
	"bytes"
	"regexp"
)

// userinfoRe finds the userinfo of URLs in text: a scheme, "//", then up
// to the last "@" before the end of the authority (as net/url splits it,
// so a password holding a raw "@" is hidden whole).
var userinfoRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]+@`)

// hidden replaces the userinfo; the scheme, host and path stay readable.
const hidden = "${1}***@"

// URL is s with the credentials of its userinfo, if any, replaced by
// "***": https://user:pass@host/path becomes https://***@host/path. A URL
// without userinfo comes back unchanged.
func URL(s string) string { return Text(s) }

// Text is s with the userinfo of every URL in it replaced by "***", for
// free text such as a log line or an error message that may quote a
// repository URL with its credentials.
func Text(s string) string {
	if !mayHoldCredentials([]byte(s)) {
		return s
	}
	return userinfoRe.ReplaceAllString(s, hidden)
}

// Bytes is Text for a byte slice; b itself is returned when nothing is
// hidden.
func Bytes(b []byte) []byte {
	if !mayHoldCredentials(b) {
		return b
	}
	return userinfoRe.ReplaceAll(b, []byte(hidden))
}

// mayHoldCredentials is a cheap test that skips the regexp for the lines
// (most of them) that have no URL with an "@".
func mayHoldCredentials(b []byte) bool {
	return bytes.Contains(b, []byte("://")) && bytes.IndexByte(b, '@') >= 0
}
