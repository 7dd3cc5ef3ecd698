package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// Secret values are hidden as helm-diff hides them (diff/diff.go,
// redactSecrets): stringData is folded into data as the API server does,
// then every value becomes "REDACTED # (N bytes)" when both sides have it
// unchanged, "-------- # (N bytes)" on the old side and
// "++++++++ # (N bytes)" on the new side when it differs or exists on one
// side only. So a changed key shows as changed, and its value never shows.

// secretData is the decoded data of a Secret object (data plus stringData),
// nil when it has neither.
func secretData(obj map[string]any) map[string][]byte {
	if obj == nil {
		return nil
	}
	var out map[string][]byte
	if data, ok := obj["data"].(map[string]any); ok {
		out = make(map[string][]byte, len(data))
		for k, v := range data {
			s, _ := v.(string)
			decoded, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				decoded = []byte(s) // not base64: the server would refuse it; count it as is
			}
			out[k] = decoded
		}
	}
	if stringData, ok := obj["stringData"].(map[string]any); ok {
		if out == nil {
			out = make(map[string][]byte, len(stringData))
		}
		for k, v := range stringData {
			out[k] = []byte(fmt.Sprint(v))
		}
	}
	return out
}

// redactSecretPair replaces the values of two versions of a Secret (either
// may be nil, for a creation or a deletion) in place.
func redactSecretPair(old, new map[string]any) {
	oldData, newData := secretData(old), secretData(new)
	redactSide(old, oldData, newData, new != nil, "--------")
	redactSide(new, newData, oldData, old != nil, "++++++++")
}

func redactSide(obj map[string]any, data, other map[string][]byte, otherExists bool, changed string) {
	if obj == nil {
		return
	}
	delete(obj, "stringData")
	if data == nil {
		return
	}
	redacted := make(map[string]any, len(data))
	for k, v := range data {
		mark := changed
		if theirs, ok := other[k]; otherExists && ok && bytes.Equal(v, theirs) {
			mark = "REDACTED"
		}
		redacted[k] = fmt.Sprintf("%s # (%d bytes)", mark, len(v))
	}
	obj["data"] = redacted
}
