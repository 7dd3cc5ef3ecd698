package yclockbox

import (
	"encoding/json"

	"github.com/helmfile/vals/pkg/api"
)

// Scheme is the reference scheme, vals' name for the provider.
const Scheme = "yclockbox"

// Provider is vals' api.Provider for one reference's settings.
type Provider struct {
	client    *client
	versionID string
}

var _ api.Provider = (*Provider)(nil)

// New is the provider of a reference: `version_id` from its query picks a
// version of the secret, else the current one is read. Credentials come
// from YC_TOKEN; the error says what to set when it is missing.
func New(conf api.StaticConfig) (*Provider, error) {
	creds, err := credentialsFromEnv()
	if err != nil {
		return nil, err
	}
	p := &Provider{client: newClient(creds)}
	if conf.Exists("version_id") {
		p.versionID = conf.String("version_id")
	}
	return p, nil
}

// GetStringMap is the secret's entries, key to value; a binary entry's
// value is its bytes as a string, as vals' provider gives it.
func (p *Provider) GetStringMap(secretID string) (map[string]any, error) {
	payload, err := p.client.payload(secretID, p.versionID)
	if err != nil {
		return nil, err
	}
	entries := make(map[string]any, len(payload.GetEntries()))
	for _, entry := range payload.GetEntries() {
		value := entry.GetTextValue()
		if value == "" {
			value = string(entry.GetBinaryValue())
		}
		entries[entry.GetKey()] = value
	}
	return entries, nil
}

// GetString is the entries as a JSON object, what a reference without a
// fragment resolves to.
func (p *Provider) GetString(secretID string) (string, error) {
	entries, err := p.GetStringMap(secretID)
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(entries)
	return string(out), err
}
