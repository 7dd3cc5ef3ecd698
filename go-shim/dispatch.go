package main

import (
	"bytes"
	"context"
	"encoding/json"
)

// A method decodes its params and runs. Methods are registered in one table
// so the full surface Rust can reach is visible in one place.
type method func(ctx context.Context, params json.RawMessage) (any, error)

var methods = map[string]method{
	"version":    runVersion,
	"template":   runTemplate,
	"repos":      runRepos,
	"render":     runRender,
	"hcl_values": runHCLValues,
	"deps_build": runDepsBuild,
	"chartify":   runChartify,
	"lint":       runLint,

	"chart_pull":    runChartPull,
	"lock_resolve":  runLockResolve,
	"cache_info":    runCacheInfo,
	"cache_cleanup": runCacheCleanup,

	"upgrade":   runUpgrade,
	"uninstall": runUninstall,
	"status":    runStatus,
	"test":      runReleaseTest,
	"diff":      runDiff,
	"drift":     runDrift,
	"recover":   runRecover,
}

type request struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// dispatchGuarded decodes a request, runs its method and encodes the answer.
// No panic escapes: an unrecovered Go panic would abort the whole process.
func dispatchGuarded(raw []byte, callID uint64) (response []byte) {
	defer func() {
		if r := recover(); r != nil {
			response = encodeEnvelope(nil, panicError(r))
		}
	}()

	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return encodeEnvelope(nil, failf(KindBadRequest, "the request is not valid JSON: %v", err))
	}
	run, ok := methods[req.Method]
	if !ok {
		return encodeEnvelope(nil, failf(KindBadRequest, "unknown method %q", req.Method))
	}

	ctx, done := calls.begin(callID)
	defer done()
	result, err := run(ctx, req.Params)
	if err != nil {
		return encodeEnvelope(nil, classify(err, KindInternal))
	}
	return encodeEnvelope(result, nil)
}

// decodeParams unmarshals params strictly: an unknown field means Rust and Go
// disagree about the contract, which must fail loudly.
func decodeParams(params json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return failf(KindBadRequest, "invalid params: %v", err)
	}
	return nil
}
