package main

import (
	"encoding/json"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/redact"
)

// envelope is every answer of helmfire_call: {"ok":true,"result":...} or
// {"ok":false,"error":{"kind","message","details"}}. The error kinds are
// fault's (internal/fault); the set is part of the ABI contract.
type envelope struct {
	OK     bool         `json:"ok"`
	Result any          `json:"result,omitempty"`
	Error  *fault.Error `json:"error,omitempty"`
}

func encodeEnvelope(result any, err *fault.Error) []byte {
	env := envelope{OK: err == nil, Result: result, Error: redacted(err)}
	out, marshalErr := json.Marshal(env)
	if marshalErr != nil {
		out, _ = json.Marshal(envelope{Error: fault.New(fault.KindInternal, "encoding the response failed: "+marshalErr.Error())})
	}
	return out
}

// redacted hides the credentials of URLs an error quotes, in its message
// and details: the packages that quote repository URLs hide them already,
// this is the last line for anything else that might.
func redacted(e *fault.Error) *fault.Error {
	if e == nil {
		return nil
	}
	out := &fault.Error{Kind: e.Kind, Message: redact.Text(e.Message)}
	for k, v := range e.Details {
		out.With(k, redact.Text(v))
	}
	return out
}
