package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime/debug"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// method is a registered method: it decodes its params and runs.
type method func(ctx context.Context, params json.RawMessage) (any, error)

// request is what helmfire_call receives.
type request struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// dispatchGuarded decodes a request, runs its method and encodes the answer.
// No panic escapes: an unrecovered Go panic would abort the whole process.
// (Goroutines a method starts recover their own panics: internal/safe.)
func dispatchGuarded(raw []byte, callID uint64) (response []byte) {
	defer func() {
		if r := recover(); r != nil {
			response = encodeEnvelope(nil, fault.Panic(r, debug.Stack()))
		}
	}()

	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return encodeEnvelope(nil, fault.Newf(fault.KindBadRequest, "the request is not valid JSON: %v", err))
	}
	run, ok := methods[req.Method]
	if !ok {
		return encodeEnvelope(nil, fault.Newf(fault.KindBadRequest, "unknown method %q", req.Method))
	}

	ctx, done := calls.begin(callID)
	defer done()
	result, err := run(ctx, req.Params)
	if err != nil {
		return encodeEnvelope(nil, fault.Classify(err, fault.KindInternal))
	}
	return encodeEnvelope(result, nil)
}

// typed makes a method of a feature's typed entry point: params are
// decoded strictly into P, then run is called. Every method goes through
// it, so every method decodes the same way.
func typed[P, R any](run func(context.Context, P) (R, error)) method {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		p, err := decodeParams[P](raw)
		if err != nil {
			return nil, err
		}
		return run(ctx, p)
	}
}

// noParams is the params of a method that takes none; only such a method
// may be called without params.
type noParams struct{}

// decodeParams unmarshals params strictly: an unknown field means Rust and
// Go disagree about the contract, which must fail loudly.
func decodeParams[P any](raw json.RawMessage) (P, error) {
	var p P
	if _, none := any(p).(noParams); none && len(bytes.TrimSpace(raw)) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fault.Newf(fault.KindBadRequest, "invalid params: %v", err)
	}
	return p, nil
}
