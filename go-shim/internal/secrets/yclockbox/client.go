package yclockbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/yandex-cloud/go-genproto/yandex/cloud/endpoint"
	iam "github.com/yandex-cloud/go-genproto/yandex/cloud/iam/v1"
	lockbox "github.com/yandex-cloud/go-genproto/yandex/cloud/lockbox/v1"
	"google.golang.org/grpc"
	grpccreds "google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// EndpointEnv overrides the API endpoint the service endpoints are looked
// up from, as for vals' provider.
const EndpointEnv = "YC_LOCKBOX_ENDPOINT"

// defaultAPIEndpoint is the SDK's.
const defaultAPIEndpoint = "api.cloud.yandex.net:443"

// The ids ApiEndpointService.List gives the two services used here.
const (
	payloadServiceID = "lockbox-payload"
	iamServiceID     = "iam"
)

// callTimeout bounds each call, connecting included (the SDK waits 20 s
// to connect and then without limit).
const callTimeout = 30 * time.Second

// client reads Lockbox payloads with the credentials of YC_TOKEN.
type client struct {
	apiEndpoint string
	creds       credentials
	now         func() time.Time

	endpointsMu sync.Mutex
	endpoints   map[string]string // service id to address, once looked up

	tokenMu      sync.Mutex
	token        string
	tokenExpires time.Time
}

func newClient(creds credentials) *client {
	apiEndpoint := os.Getenv(EndpointEnv)
	if apiEndpoint == "" {
		apiEndpoint = defaultAPIEndpoint
	}
	return &client{apiEndpoint: apiEndpoint, creds: creds, now: time.Now}
}

// payload is a version of a secret (the current one when versionID is
// empty).
func (c *client) payload(secretID, versionID string) (*lockbox.Payload, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	address, err := c.serviceAddress(ctx, payloadServiceID)
	if err != nil {
		return nil, err
	}
	token, err := c.iamToken(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := connection(address)
	if err != nil {
		return nil, err
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	payload, err := lockbox.NewPayloadServiceClient(conn).Get(ctx, &lockbox.GetPayloadRequest{
		SecretId:  secretID,
		VersionId: versionID,
	})
	if err != nil {
		return nil, fmt.Errorf("reading Lockbox secret %s failed: %s", secretID, describe(err))
	}
	return payload, nil
}

// serviceAddress looks the endpoints up on first use, as the SDK does, and
// keeps them once the lookup succeeded: a failed lookup is tried again by
// the next call (vals serves every reference of a run with one provider).
func (c *client) serviceAddress(ctx context.Context, serviceID string) (string, error) {
	c.endpointsMu.Lock()
	defer c.endpointsMu.Unlock()
	if c.endpoints == nil {
		conn, err := connection(c.apiEndpoint)
		if err != nil {
			return "", fmt.Errorf("%w (%s)", err, EndpointEnv)
		}
		list, err := endpoint.NewApiEndpointServiceClient(conn).List(ctx, &endpoint.ListApiEndpointsRequest{PageSize: 100})
		if err != nil {
			return "", fmt.Errorf("looking up the Yandex Cloud service endpoints at %s failed (%s to change it): %s",
				c.apiEndpoint, EndpointEnv, describe(err))
		}
		endpoints := make(map[string]string, len(list.GetEndpoints()))
		for _, e := range list.GetEndpoints() {
			endpoints[e.GetId()] = e.GetAddress()
		}
		c.endpoints = endpoints
	}
	address, ok := c.endpoints[serviceID]
	if !ok {
		return "", fmt.Errorf("the Yandex Cloud API endpoint %s lists no %q service", c.apiEndpoint, serviceID)
	}
	return address, nil
}

// iamToken is YC_TOKEN's token, or the key's exchanged one, kept until
// it expires.
func (c *client) iamToken(ctx context.Context) (string, error) {
	if c.creds.key == nil {
		return c.creds.iamToken, nil
	}
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	now := c.now()
	if c.token != "" && now.Before(c.tokenExpires) {
		return c.token, nil
	}
	jwt, err := c.creds.key.signedJWT(now)
	if err != nil {
		return "", err
	}
	address, err := c.serviceAddress(ctx, iamServiceID)
	if err != nil {
		return "", err
	}
	conn, err := connection(address)
	if err != nil {
		return "", err
	}
	created, err := iam.NewIamTokenServiceClient(conn).Create(ctx, &iam.CreateIamTokenRequest{
		Identity: &iam.CreateIamTokenRequest_Jwt{Jwt: jwt},
	})
	if err != nil {
		return "", fmt.Errorf("exchanging authorized key %s for an IAM token failed: %s", c.creds.key.id, describe(err))
	}
	c.token = created.GetIamToken()
	c.tokenExpires = now.Add(time.Minute) // the SDK's, when IAM gives no valid time
	if expires := created.GetExpiresAt(); expires.CheckValid() == nil {
		c.tokenExpires = expires.AsTime()
	}
	return c.token, nil
}

// connections holds one connection per address for the whole process:
// vals makes a provider per run, and connections made per provider would
// pile up in the daemon.
var (
	connectionsMu sync.Mutex
	connections   = map[string]*grpc.ClientConn{}
)

// connection is the process's connection to address: TLS with the
// system's roots, through HTTPS_PROXY when set (gRPC's default dialer).
// It connects when first used.
func connection(address string) (*grpc.ClientConn, error) {
	connectionsMu.Lock()
	defer connectionsMu.Unlock()
	if conn, ok := connections[address]; ok {
		return conn, nil
	}
	conn, err := grpc.NewClient(address,
		grpc.WithTransportCredentials(grpccreds.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})),
		grpc.WithUserAgent("helmfire"))
	if err != nil {
		return nil, fmt.Errorf("%q is not a host:port to connect to: %v", address, err)
	}
	connections[address] = conn
	return conn, nil
}

// describe is a call's error as gRPC status code and message.
func describe(err error) string {
	if st, ok := status.FromError(err); ok {
		return fmt.Sprintf("%s: %s", st.Code(), st.Message())
	}
	return err.Error()
}
