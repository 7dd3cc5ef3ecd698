package remote

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Source is a remote reference in helmfile's forms:
//
//	git::https://host/org/repo.git@path/in/repo/file.yaml?ref=v1
//	s3::https://bucket.s3.region.amazonaws.com/dir@file.yaml
//	https://host/dir/file.yaml     (also http:// and s3://)
//
// Dir is what is downloaded (a repository, a directory, an archive) and
// File the file in it the reference names. With an "@" selector the two
// are as written; without one, File is the last path segment.
type Source struct {
	// Getter is the forced getter ("git", "s3", ...), or "" for a plain
	// http(s):// or s3:// URL, which downloads one file.
	Getter   string
	Scheme   string
	User     *url.Userinfo
	Host     string
	Dir      string // with its leading "/"
	File     string
	Query    url.Values
	Selector bool // an explicit "@<file>" selector was written
}

// plainSchemes are the URL schemes helmfile takes as remote without a
// forced getter: each names one file.
var plainSchemes = []string{"http", "https", "s3"}

// Parse reads ref; an error means it is not a remote reference.
func Parse(ref string) (Source, error) {
	getter, rest, forced := strings.Cut(ref, "::")
	if !forced || strings.Contains(rest, "::") {
		getter, rest = "", ref
		scheme, _, ok := strings.Cut(ref, "://")
		if !ok || !slices.Contains(plainSchemes, strings.ToLower(scheme)) {
			return Source{}, fmt.Errorf("%q is not a remote reference", ref)
		}
	}
	if filepath.IsAbs(rest) {
		return Source{}, fmt.Errorf("%q is a local path", ref)
	}
	u, err := url.Parse(rest)
	if err != nil {
		return Source{}, fmt.Errorf("%q is not a URL: %v", ref, err)
	}
	if u.Scheme == "" {
		return Source{}, fmt.Errorf("%q has no URL scheme", ref)
	}
	s := Source{Getter: getter, Scheme: u.Scheme, User: u.User, Host: u.Host, Query: u.Query()}
	if dir, file, ok := strings.Cut(u.Path, "@"); ok && getter != "" {
		s.Dir, s.File, s.Selector = dir, file, true
	} else {
		s.Dir, s.File = path.Dir(u.Path), path.Base(u.Path)
	}
	if s.File == "" || s.File == "." || s.File == "/" {
		return Source{}, fmt.Errorf("%q names no file: add `@path/to/file` after the repository", ref)
	}
	return s, nil
}

// plain tells a one-file download (http(s):// or s3:// without a getter).
func (s Source) plain() bool { return s.Getter == "" }

// noCache is `?cache=false`: fetched afresh (once per run).
func (s Source) noCache() bool { return s.Query.Get("cache") == "false" }

// getterURL is what go-getter downloads: the directory part, with the query
// (less helmfile's own `cache` parameter) and the forced getter.
func (s Source) getterURL() string {
	u := url.URL{Scheme: s.Scheme, User: s.User, Host: s.Host, Path: s.Dir}
	if s.plain() {
		u.Path = path.Join(s.Dir, s.File)
	}
	q := cloneQuery(s.Query)
	q.Del("cache")
	u.RawQuery = q.Encode()
	if s.Getter != "" {
		return s.Getter + "::" + u.String()
	}
	return u.String()
}

// String is the reference for messages, credentials masked.
func (s Source) String() string {
	u := url.URL{Scheme: s.Scheme, Host: s.Host, Path: s.Dir}
	if s.User != nil {
		u.User = url.User("***")
	}
	file := "/" + s.File
	if s.Selector {
		file = "@" + s.File
	}
	text := strings.TrimSuffix(u.String(), "/") + file
	if len(s.Query) > 0 {
		q := cloneQuery(s.Query)
		for key := range q {
			if sensitiveParameter(key) {
				q.Set(key, "***")
			}
		}
		text += "?" + q.Encode()
	}
	if s.Getter != "" {
		return s.Getter + "::" + text
	}
	return text
}

// sensitiveParameter is a query parameter that may carry a credential.
func sensitiveParameter(key string) bool {
	k := strings.ToLower(key)
	for _, word := range []string{"token", "password", "secret", "key", "signature", "sshkey"} {
		if strings.Contains(k, word) {
			return true
		}
	}
	return false
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
