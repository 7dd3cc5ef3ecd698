package yclockbox

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/yandex-cloud/go-sdk/iamkey"
)

// TokenEnv holds the credentials, as for vals' provider.
const TokenEnv = "YC_TOKEN"

// iamTokenAudience is the audience IAM expects in the JWT of a service
// account's key.
const iamTokenAudience = "https://iam.api.cloud.yandex.net/iam/v1/tokens"

// credentials is what YC_TOKEN says: an IAM token to send as it is, or a
// service account's key to exchange for one.
type credentials struct {
	iamToken string
	key      *serviceAccountKey
}

// serviceAccountKey is an authorized key with its private half parsed.
type serviceAccountKey struct {
	id               string
	serviceAccountID string
	private          *rsa.PrivateKey
}

// credentialsFromEnv reads YC_TOKEN. Its value never reaches an error.
func credentialsFromEnv() (credentials, error) {
	token, ok := os.LookupEnv(TokenEnv)
	if !ok || strings.TrimSpace(token) == "" {
		return credentials{}, fmt.Errorf("ref+yclockbox needs %s set to an IAM token or to the JSON of a service account's authorized key", TokenEnv)
	}
	trimmed := strings.TrimSpace(token)
	if !strings.HasPrefix(trimmed, "{") {
		return credentials{iamToken: trimmed}, nil
	}
	key, err := parseServiceAccountKey([]byte(trimmed))
	if err != nil {
		return credentials{}, fmt.Errorf("%s holds JSON, but %w", TokenEnv, err)
	}
	return credentials{key: key}, nil
}

// parseServiceAccountKey reads an authorized key as `yc iam key create`
// writes it, with the SDK's own decoder, and checks what the SDK checks.
// The decoder's message is left out: it can quote the key.
func parseServiceAccountKey(data []byte) (*serviceAccountKey, error) {
	key, err := iamkey.ReadFromJSONBytes(data)
	if err != nil {
		return nil, errors.New("not an authorized key (id, service_account_id, private_key, ...; `yc iam key create --output` writes one)")
	}
	if key.GetId() == "" {
		return nil, errors.New("the authorized key has no id")
	}
	if key.GetServiceAccountId() == "" {
		return nil, errors.New("the authorized key is not a service account's (it has no service_account_id)")
	}
	private, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(key.GetPrivateKey()))
	if err != nil {
		return nil, errors.New("the private_key of the authorized key is not an RSA private key in PEM")
	}
	return &serviceAccountKey{id: key.GetId(), serviceAccountID: key.GetServiceAccountId(), private: private}, nil
}

// signPS256 is PS256 with a salt as long as the hash, which IAM requires
// (jwt's PS256 uses the longest salt that fits).
var signPS256 = &jwt.SigningMethodRSAPSS{
	SigningMethodRSA: jwt.SigningMethodPS256.SigningMethodRSA,
	Options:          &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash},
}

// signedJWT is the token IamTokenService.Create exchanges for an IAM
// token: issued by the service account, for an hour, naming the key.
func (k *serviceAccountKey) signedJWT(now time.Time) (string, error) {
	token := jwt.NewWithClaims(signPS256, jwt.RegisteredClaims{
		Issuer:    k.serviceAccountID,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		Audience:  jwt.ClaimStrings{iamTokenAudience},
	})
	token.Header["kid"] = k.id
	signed, err := token.SignedString(k.private)
	if err != nil {
		return "", fmt.Errorf("signing the JWT of authorized key %s failed: %v", k.id, err)
	}
	return signed, nil
}
