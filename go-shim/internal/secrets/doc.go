// Package secrets decrypts sops files and resolves vals `ref+` references
// in-process, as helmfile does through helm-secrets and its vals runtime,
// without writing anything decrypted to disk:
//
//   - decrypt.go: a sops-encrypted YAML, JSON, dotenv or binary file,
//     decrypted in memory with the sops library (age keys from
//     SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or the default keys.txt; PGP through
//     the user's keyring; the cloud KMS backends when credentials exist);
//   - vals.go: one process-wide vals runtime (every backend vals has),
//     shared by concurrent releases, so a reference is fetched once per
//     run; relative `ref+file://` and `ref+sops://` paths are taken from
//     the state file's directory, where helmfile's working directory is;
//   - providers.go: which backends a build carries (HELMFIRE_SECRET_PROVIDERS);
//     register_yclockbox.go puts helmfire's own Lockbox client (yclockbox/)
//     in place of vals' provider;
//   - methods.go: the shim methods `decrypt` and `vals`.
//
// Errors name the file or the reference, never a value.
package secrets
