package secrets

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/getsops/sops/v3/cmd/sops/formats"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// DecryptParams names a sops-encrypted file (absolute), or carries an
// encrypted YAML document written inline in a state file (File then names
// where, for messages).
type DecryptParams struct {
	File   string `json:"file"`
	Inline string `json:"inline,omitempty"`
}

// DecryptResult is its plaintext, which only ever lives in memory.
type DecryptResult struct {
	Text string `json:"text"`
}

// DecryptFile is the `decrypt` method.
func DecryptFile(ctx context.Context, p DecryptParams) (DecryptResult, error) {
	var text string
	var err error
	if p.Inline != "" {
		text, err = decryptData(ctx, p.File, []byte(p.Inline), formats.Yaml)
	} else {
		text, err = Decrypt(ctx, p.File)
	}
	if err != nil {
		return DecryptResult{}, err
	}
	return DecryptResult{Text: text}, nil
}

// ValsParams is a values tree whose strings may hold `ref+` references,
// and the directory relative file references are taken from.
type ValsParams struct {
	Values  json.RawMessage `json:"values"`
	BaseDir string          `json:"base_dir"`
	// Run numbers the caller's run: references are fetched once per run.
	Run uint64 `json:"run"`
}

// ValsResult is the tree with every reference resolved.
type ValsResult struct {
	Values map[string]any `json:"values"`
}

// ResolveRefs is the `vals` method. Numbers travel as they were written
// (json.Number), so no integer comes back as a float.
func ResolveRefs(ctx context.Context, p ValsParams) (ValsResult, error) {
	dec := json.NewDecoder(bytes.NewReader(p.Values))
	dec.UseNumber()
	var values map[string]any
	if err := dec.Decode(&values); err != nil {
		return ValsResult{}, fault.Newf(fault.KindBadRequest, "the values to resolve are not a JSON object: %v", err)
	}
	out, err := Eval(ctx, values, p.BaseDir, p.Run)
	if err != nil {
		return ValsResult{}, err
	}
	return ValsResult{Values: out}, nil
}
