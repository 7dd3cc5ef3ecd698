// Package yclockbox resolves `ref+yclockbox://SECRET_ID[?version_id=ID][#KEY]`
// references from Yandex Cloud Lockbox, the references vals' provider of
// the same name resolves, with a client of its own.
//
// Why not vals' provider: it builds the whole Yandex Cloud Go SDK, which
// imports the generated gRPC packages of every Yandex Cloud service. Go
// initialises all of them at every start of helmfire, whether a reference
// is resolved or not: 12 ms of each start and 8.6 MB of heap, and 20 MB of
// the binary (measured 2026-12-07, `GODEBUG=inittrace=1`, `go tool nm`),
// for the three calls a reference needs. This package imports the
// generated packages of those three services only.
//
// What it does, as the SDK does for vals' provider:
//
//   - credentials.go: YC_TOKEN holds either an IAM token, sent as it is, or
//     the JSON of an authorized key of a service account, exchanged for an
//     IAM token (a PS256-signed JWT to IamTokenService.Create) and kept
//     until it expires;
//   - client.go: the endpoints of the services are looked up once per
//     provider from the API endpoint (YC_LOCKBOX_ENDPOINT, else Yandex
//     Cloud's), as the SDK's ApiEndpointService.List does; connections use
//     TLS with the system's roots (SSL_CERT_FILE is honoured) and the
//     proxy of HTTPS_PROXY, and are shared by the whole process;
//   - provider.go: a secret's entries as a map of key to text (binary
//     entries as their bytes), or that map as JSON for a reference without
//     a fragment, the shape vals' provider returns.
//
// Where it does better than vals' provider: a missing YC_TOKEN is an error
// that says what to set (vals' says "provider is nil"), and every call has
// a deadline, so an endpoint that does not answer cannot hang a run.
// Errors name the secret and the service, never a token or a value.
package yclockbox
