package secrets

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/fatih/color"
	sops "github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/decrypt"
	"github.com/getsops/sops/v3/logging"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/safe"
)

// MaxFileBytes is the largest secrets file read (the same limit the Rust
// side puts on state and values files).
const MaxFileBytes = 32 << 20

func init() {
	// sops writes its logs to stderr and colours its key reports for a
	// terminal; neither belongs in helmfire's output or error messages.
	for _, logger := range logging.Loggers {
		logger.SetOutput(io.Discard)
	}
	color.NoColor = true
}

// Decrypt returns the plaintext of a sops-encrypted file. The format comes
// from the name (`.yaml`, `.yml`, `.json`, `.env`, also before a `.gotmpl`
// suffix), else from the content as helm-secrets tells it: a `sops:` line
// means YAML, a binary store's `"data": "ENC[` binary, anything else JSON.
func Decrypt(ctx context.Context, path string) (string, error) {
	data, err := readLimited(path)
	if err != nil {
		return "", err
	}
	return decryptData(ctx, path, data, formatOf(path, data))
}

// decryptData decrypts data in the given format; path says where it came
// from in messages.
func decryptData(ctx context.Context, path string, data []byte, format formats.Format) (string, error) {
	key := sha256.Sum256(data)
	if plain, ok := decrypted.get(key); ok {
		return plain, nil
	}
	var plain []byte
	var err error
	// A KMS or a gpg agent can take its time; a cancelled call answers at
	// once and leaves the decryption to finish on its own.
	done := safe.Go(func() error {
		var decryptErr error
		plain, decryptErr = decrypt.DataWithFormat(data, format)
		return decryptErr
	})
	select {
	case err = <-done:
	case <-ctx.Done():
		return "", fault.Newf(fault.KindCancelled, "decrypting %s was cancelled", path)
	}
	if err != nil {
		return "", describeDecryptError(path, err)
	}
	decrypted.put(key, string(plain))
	return string(plain), nil
}

// decrypted remembers plaintexts by the hash of their encrypted bytes, as
// helmfile remembers each file it decrypted: a file listed by several
// releases, environments or state-file parts is decrypted once (one KMS
// call, one gpg prompt). A changed file has a new hash, so watch mode and
// the daemon never see stale plaintext. Memory only, bounded.
var decrypted = plaintextCache{entries: map[[sha256.Size]byte]string{}}

const plaintextCacheSize = 256

type plaintextCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]string
}

func (c *plaintextCache) get(key [sha256.Size]byte) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	plain, ok := c.entries[key]
	return plain, ok
}

func (c *plaintextCache) put(key [sha256.Size]byte, plain string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= plaintextCacheSize {
		clear(c.entries)
	}
	c.entries[key] = plain
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fault.Newf(fault.KindValues, "the secrets file %s does not exist", path).With("file", path)
		}
		return nil, fault.Newf(fault.KindIO, "reading the secrets file %s: %v", path, err).With("file", path)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return nil, fault.Newf(fault.KindValues, "the secrets file %s is not a regular file", path).With("file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fault.Newf(fault.KindIO, "reading the secrets file %s: %v", path, err).With("file", path)
	}
	if len(data) > MaxFileBytes {
		return nil, fault.Newf(fault.KindValues, "the secrets file %s is larger than helmfire reads (%d MiB)", path, MaxFileBytes>>20).
			With("file", path)
	}
	return data, nil
}

func formatOf(path string, data []byte) formats.Format {
	name := strings.TrimSuffix(path, ".gotmpl")
	switch {
	case strings.HasSuffix(name, ".yaml"), strings.HasSuffix(name, ".yml"):
		return formats.Yaml
	case strings.HasSuffix(name, ".json"):
		return formats.Json
	case strings.HasSuffix(name, ".env"):
		return formats.Dotenv
	}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	scanner.Buffer(make([]byte, 64*1024), MaxFileBytes)
	for scanner.Scan() {
		if strings.TrimRight(scanner.Text(), " \t\r") == "sops:" {
			return formats.Yaml
		}
	}
	if bytes.Contains(data, []byte(`"data": "ENC[`)) {
		return formats.Binary
	}
	return formats.Json
}

// describeDecryptError says which file could not be decrypted and why, in
// words a user can act on. sops' own text for "no key" is a tree of key
// groups; its user-facing form names each key and what was tried.
func describeDecryptError(path string, err error) error {
	if errors.Is(err, sops.MetadataNotFound) {
		return fault.Newf(fault.KindValues,
			"%s is not encrypted with sops (it has no sops metadata); encrypt it with `sops --encrypt --in-place %s`, or list it under `values:`",
			path, path).With("file", path)
	}
	var userErr sops.UserError
	if errors.As(err, &userErr) {
		text := strings.TrimSpace(userErr.UserError())
		return fault.Newf(fault.KindValues,
			"cannot decrypt %s: %s; provide a key that decrypts it: an age key in SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or ~/.config/sops/age/keys.txt, a PGP key in your gpg keyring, or credentials for its KMS",
			path, oneParagraph(text)).With("file", path)
	}
	return fault.Newf(fault.KindValues, "cannot decrypt %s: %v", path, err).With("file", path)
}

// oneParagraph joins sops' multi-line report into one line.
func oneParagraph(text string) string {
	var parts []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}
