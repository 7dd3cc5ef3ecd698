// Package yclockboxtest runs the three Yandex Cloud services a Lockbox
// reference needs (endpoint lookup, IAM token exchange, Lockbox payloads)
// as real gRPC servers over TLS on loopback, for tests of the client in
// internal/secrets/yclockbox and of references resolved through vals. As
// in Yandex Cloud, the API endpoint serves the lookup only and names
// another address for the other two, so a client that skips the lookup
// fails. It checks what Yandex Cloud checks: the authorization header of
// payload reads and the JWT of a key exchange (PS256 with a salt as long
// as the hash, the key id, issuer, audience, an hour of validity).
package yclockboxtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yandex-cloud/go-genproto/yandex/cloud/endpoint"
	iam "github.com/yandex-cloud/go-genproto/yandex/cloud/iam/v1"
	lockbox "github.com/yandex-cloud/go-genproto/yandex/cloud/lockbox/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Entry is one key of a secret: Text, or Binary when Text is empty.
type Entry struct {
	Key    string
	Text   string
	Binary []byte
}

// Cloud is what the server serves.
type Cloud struct {
	// IAMToken is accepted as it is (YC_TOKEN holding an IAM token).
	IAMToken string
	// ServiceAccountID and KeyID name the key whose public half is Key;
	// its JWTs are exchanged for IAM tokens.
	ServiceAccountID, KeyID string
	Key                     *rsa.PublicKey
	// Secrets by id, then by version id; the "" version is the current one.
	Secrets map[string]map[string][]Entry
	// OmitPayloadService leaves lockbox-payload out of the endpoint list.
	OmitPayloadService bool
	// FailedLookups is how many endpoint lookups fail (Unavailable) before
	// they succeed.
	FailedLookups int64
}

// Server is a running Cloud.
type Server struct {
	// Address is the API endpoint's host:port, for YC_LOCKBOX_ENDPOINT.
	Address string
	// ServicesAddress is where the lookup sends IAM and Lockbox calls.
	ServicesAddress string
	cloud           Cloud
	issued          sync.Map // IAM token -> true
	// Lookups counts endpoint lookups, Exchanges IAM token exchanges,
	// Reads payload reads.
	Lookups, Exchanges, Reads atomic.Int64
}

// TrustFile writes the certificate every Server presents to dir and
// returns its path. Point SSL_CERT_FILE at it before anything in the
// process reads the system's roots (in TestMain): Go reads them once.
func TrustFile(dir string) (string, error) {
	cert, err := certificate()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "yclockboxtest-ca.pem")
	return path, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
}

var (
	certOnce sync.Once
	cert     tls.Certificate
	certErr  error
)

// certificate is one self-signed certificate for 127.0.0.1, made once.
func certificate() (tls.Certificate, error) {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			certErr = err
			return
		}
		template := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "yclockboxtest"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
		if err != nil {
			certErr = err
			return
		}
		cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return cert, certErr
}

// Start serves cloud on two loopback ports until the test ends: the API
// endpoint and the services it names.
func Start(t testing.TB, cloud Cloud) *Server {
	t.Helper()
	s := &Server{cloud: cloud}
	s.Address = serve(t, func(g *grpc.Server) { endpoint.RegisterApiEndpointServiceServer(g, endpoints{Server: s}) })
	s.ServicesAddress = serve(t, func(g *grpc.Server) {
		iam.RegisterIamTokenServiceServer(g, tokens{Server: s})
		lockbox.RegisterPayloadServiceServer(g, payloads{Server: s})
	})
	return s
}

// serve starts a gRPC server over TLS with what register adds to it.
func serve(t testing.TB, register func(*grpc.Server)) string {
	t.Helper()
	certificate, err := certificate()
	if err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	grpcServer := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{certificate}})))
	register(grpcServer)
	go func() { _ = grpcServer.Serve(listener) }()
	t.Cleanup(grpcServer.Stop)
	return listener.Addr().String()
}

type endpoints struct {
	*Server
	endpoint.UnimplementedApiEndpointServiceServer
}

func (e endpoints) List(context.Context, *endpoint.ListApiEndpointsRequest) (*endpoint.ListApiEndpointsResponse, error) {
	if e.Lookups.Add(1) <= e.cloud.FailedLookups {
		return nil, status.Error(codes.Unavailable, "the endpoint service is restarting")
	}
	list := []*endpoint.ApiEndpoint{{Id: "iam", Address: e.ServicesAddress}, {Id: "lockbox", Address: e.ServicesAddress}}
	if !e.cloud.OmitPayloadService {
		list = append(list, &endpoint.ApiEndpoint{Id: "lockbox-payload", Address: e.ServicesAddress})
	}
	return &endpoint.ListApiEndpointsResponse{Endpoints: list}, nil
}

type tokens struct {
	*Server
	iam.UnimplementedIamTokenServiceServer
}

func (s tokens) Create(_ context.Context, req *iam.CreateIamTokenRequest) (*iam.CreateIamTokenResponse, error) {
	s.Exchanges.Add(1)
	if err := s.checkJWT(req.GetJwt()); err != nil {
		return nil, status.Errorf(codes.Unauthenticated, "invalid JWT: %v", err)
	}
	token := fmt.Sprintf("t1.issued-%d", s.Exchanges.Load())
	s.issued.Store(token, true)
	return &iam.CreateIamTokenResponse{IamToken: token, ExpiresAt: timestamppb.New(time.Now().Add(12 * time.Hour))}, nil
}

// checkJWT verifies a key's JWT as IAM does.
func (s tokens) checkJWT(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%d parts", len(parts))
	}
	var header struct{ Alg, Kid, Typ string }
	var claims struct {
		Iss string
		Aud any
		Iat int64
		Exp int64
	}
	if err := decodePart(parts[0], &header); err != nil {
		return err
	}
	if err := decodePart(parts[1], &claims); err != nil {
		return err
	}
	if header.Alg != "PS256" || header.Kid != s.cloud.KeyID {
		return fmt.Errorf("header %+v", header)
	}
	if claims.Iss != s.cloud.ServiceAccountID || fmt.Sprint(claims.Aud) != "[https://iam.api.cloud.yandex.net/iam/v1/tokens]" || claims.Exp-claims.Iat != 3600 {
		return fmt.Errorf("claims %+v", claims)
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPSS(s.cloud.Key, crypto.SHA256, digest[:], signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
}

func decodePart(part string, into any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}

type payloads struct {
	*Server
	lockbox.UnimplementedPayloadServiceServer
}

func (s payloads) Get(ctx context.Context, req *lockbox.GetPayloadRequest) (*lockbox.Payload, error) {
	s.Reads.Add(1)
	md, _ := metadata.FromIncomingContext(ctx)
	auth := md.Get("authorization")
	if len(auth) != 1 {
		return nil, status.Error(codes.Unauthenticated, "the request is not authenticated")
	}
	if token, bearer := strings.CutPrefix(auth[0], "Bearer "); !bearer || !s.valid(token) {
		return nil, status.Error(codes.Unauthenticated, "the request is not authenticated")
	}
	versions, ok := s.cloud.Secrets[req.GetSecretId()]
	if !ok {
		return nil, status.Error(codes.NotFound, "secret not found")
	}
	entries, ok := versions[req.GetVersionId()]
	if !ok {
		return nil, status.Error(codes.NotFound, "version not found")
	}
	payload := &lockbox.Payload{VersionId: req.GetVersionId()}
	for _, e := range entries {
		entry := &lockbox.Payload_Entry{Key: e.Key}
		if e.Text != "" {
			entry.Value = &lockbox.Payload_Entry_TextValue{TextValue: e.Text}
		} else {
			entry.Value = &lockbox.Payload_Entry_BinaryValue{BinaryValue: e.Binary}
		}
		payload.Entries = append(payload.Entries, entry)
	}
	return payload, nil
}

func (s payloads) valid(token string) bool {
	if s.cloud.IAMToken != "" && token == s.cloud.IAMToken {
		return true
	}
	_, issued := s.issued.Load(token)
	return issued
}

// AuthorizedKey makes a service account key and its JSON as
// `yc iam key create` writes it.
func AuthorizedKey(serviceAccountID, keyID string) (*rsa.PrivateKey, string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", err
	}
	doc, err := json.Marshal(map[string]string{
		"id":                 keyID,
		"service_account_id": serviceAccountID,
		"created_at":         "2026-12-01T10:00:00Z",
		"key_algorithm":      "RSA_2048",
		"public_key":         "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
		"private_key":        string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	})
	return key, string(doc), err
}
