package cognitotest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
)

// DefaultALBARN is the ARN of a new ALB.
const DefaultALBARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/0123456789abcdef"

// ALB is a fake Application Load Balancer that authenticates users with a
// Cognito user pool: it mints the x-amzn-oidc-data tokens the load balancer
// adds to requests (ES256, base64url with padding, the load balancer's ARN
// in signer) and serves its public keys, one PEM per kid, from a loopback
// TLS server as the regional key server does. Create it with [NewALB] or
// [NewTestALB]. It is safe for concurrent use.
//
//	alb := cognitotest.NewTestALB(t)
//	v, _ := cognito.NewALBVerifier(alb.Config())
//	claims, err := v.Verify(ctx, alb.Token(cognitotest.WithUser("alice")))
//
// Tokens take the [TokenOption]s of [Pool] tokens: WithHeader and
// WithoutHeader change the header (signer, kid, client, exp …), WithClaim
// and WithoutClaim the user info.
type ALB struct {
	// ARN is the load balancer's ARN, the tokens' signer.
	ARN string
	// UserPoolID is the user pool the load balancer signs users in with;
	// iss is derived from it as Cognito does.
	UserPoolID string
	// ClientID is the app client the load balancer uses, the tokens'
	// client.
	ClientID string

	server  *httptest.Server
	now     func() time.Time
	closing chan struct{}
	once    sync.Once

	mu       sync.Mutex
	keys     []albKey // published, oldest first; the last one signs
	override http.Handler

	keyRequests atomic.Int64
}

type albKey struct {
	kid string
	key *ecdsa.PrivateKey
}

// ALBOption configures an ALB.
type ALBOption func(*ALB)

// WithALBARN sets the load balancer's ARN (default DefaultALBARN).
func WithALBARN(arn string) ALBOption { return func(a *ALB) { a.ARN = arn } }

// WithALBUserPool sets the user pool ID (default DefaultPoolID).
func WithALBUserPool(id string) ALBOption { return func(a *ALB) { a.UserPoolID = id } }

// WithALBClientID sets the app client ID (default DefaultClientID).
func WithALBClientID(id string) ALBOption { return func(a *ALB) { a.ClientID = id } }

// WithALBClock sets the clock used for exp (default time.Now). Pass the
// same clock as ALBConfig.Now to test time rules.
func WithALBClock(now func() time.Time) ALBOption { return func(a *ALB) { a.now = now } }

// NewALB starts a fake load balancer's key server on a loopback TLS
// server. Call Close when done.
func NewALB(opts ...ALBOption) *ALB {
	a := &ALB{
		ARN:        DefaultALBARN,
		UserPoolID: DefaultPoolID,
		ClientID:   DefaultClientID,
		now:        time.Now,
		closing:    make(chan struct{}),
	}
	for _, o := range opts {
		o(a)
	}
	a.keys = []albKey{newALBKey()}
	a.server = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	a.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	a.server.StartTLS()
	return a
}

// NewTestALB is NewALB with Close registered on t.Cleanup.
func NewTestALB(t testing.TB, opts ...ALBOption) *ALB {
	t.Helper()
	a := NewALB(opts...)
	t.Cleanup(a.Close)
	return a
}

// Close stops the key server, releasing any request held by HangKeys.
func (a *ALB) Close() {
	a.once.Do(func() {
		close(a.closing)
		a.server.Close()
	})
}

// Issuer returns the iss of the tokens, in Cognito's format
// https://cognito-idp.{region}.amazonaws.com/{UserPoolID}.
func (a *ALB) Issuer() string {
	region, _, _ := strings.Cut(a.UserPoolID, "_")
	return "https://cognito-idp." + region + ".amazonaws.com/" + a.UserPoolID
}

// KeyURL returns the base URL of the key server: the key of kid K is at
// KeyURL() + "/" + K.
func (a *ALB) KeyURL() string { return a.server.URL }

// HTTPClient returns a client that trusts the key server's certificate.
func (a *ALB) HTTPClient() *http.Client { return a.server.Client() }

// Config returns an ALBConfig that verifies this load balancer's tokens,
// fetching keys from its key server with its clock.
func (a *ALB) Config() cognito.ALBConfig {
	return cognito.ALBConfig{
		LoadBalancerARNs: []string{a.ARN},
		UserPoolID:       a.UserPoolID,
		ClientIDs:        []string{a.ClientID},
		KeyURL:           a.KeyURL(),
		HTTPClient:       a.HTTPClient(),
		Now:              a.now,
	}
}

// KeyID returns the kid of the key that signs tokens now.
func (a *ALB) KeyID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keys[len(a.keys)-1].kid
}

// SigningKey returns the kid and private key that sign tokens now, for
// tests that sign other bytes than the load balancer does.
func (a *ALB) SigningKey() (string, *ecdsa.PrivateKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := a.keys[len(a.keys)-1]
	return k.kid, k.key
}

// Keys returns every published key, kid to PEM, as ALBConfig.Keys takes
// them.
func (a *ALB) Keys() map[string][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string][]byte, len(a.keys))
	for _, k := range a.keys {
		out[k.kid] = publicPEM(k.key)
	}
	return out
}

// RotateKey makes a new key, under a new kid, sign tokens. The old keys
// stay published, as on the regional key server; RetireOldKeys removes
// them.
func (a *ALB) RotateKey() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = append(a.keys, newALBKey())
}

// RetireOldKeys stops publishing every key but the one that signs.
func (a *ALB) RetireOldKeys() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = a.keys[len(a.keys)-1:]
}

// KeyRequests returns how many requests the key server has received.
func (a *ALB) KeyRequests() int { return int(a.keyRequests.Load()) }

// SetKeyHandler makes h answer every request to the key server (to serve
// errors, odd bodies, redirects). Nil restores the normal keys. Requests
// are counted either way.
func (a *ALB) SetKeyHandler(h http.Handler) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.override = h
}

// FailKeys makes the key server answer status to every request.
func (a *ALB) FailKeys(status int) {
	a.SetKeyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, http.StatusText(status), status)
	}))
}

// HangKeys makes the key server accept requests and never answer, until
// the client gives up or the ALB is closed.
func (a *ALB) HangKeys() {
	a.SetKeyHandler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-a.closing:
		}
	}))
}

func (a *ALB) serve(w http.ResponseWriter, r *http.Request) {
	a.keyRequests.Add(1)
	a.mu.Lock()
	h := a.override
	var body []byte
	for _, k := range a.keys {
		if r.URL.Path == "/"+k.kid {
			body = publicPEM(k.key)
		}
	}
	a.mu.Unlock()
	switch {
	case h != nil:
		h.ServeHTTP(w, r)
	case r.Method != http.MethodGet || body == nil:
		// What the regional key server answers for a kid it does not have.
		http.Error(w, "AccessDenied", http.StatusForbidden)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	}
}

// Token mints an x-amzn-oidc-data token shaped like the load balancer's.
// Header: typ "JWT", kid, alg "ES256", iss, client, signer and exp (in one
// hour). Payload, the user info of a Cognito user: sub (the same as
// [Pool.Subject] for the same pool and user), email_verified "true" (a
// string, as the load balancer sends it), name, email, username, exp and
// iss. ExpiresIn changes both exp.
func (a *ALB) Token(opts ...TokenOption) string {
	a.mu.Lock()
	k := a.keys[len(a.keys)-1]
	a.mu.Unlock()

	s := &tokenSpec{header: map[string]any{}, claims: map[string]any{}, user: DefaultUsername, expIn: time.Hour}
	for _, o := range opts {
		o(s) // learn the user and lifetime
	}
	exp := a.now().Add(s.expIn).Unix()
	s.header = map[string]any{
		"typ": "JWT", "kid": k.kid, "alg": "ES256", "iss": a.Issuer(),
		"client": a.ClientID, "signer": a.ARN, "exp": exp,
	}
	s.claims = map[string]any{
		"sub":            subject(a.UserPoolID, s.user),
		"email_verified": "true",
		"name":           s.user,
		"email":          s.user + "@example.com",
		"username":       s.user,
		"exp":            exp,
		"iss":            a.Issuer(),
	}
	for _, o := range opts {
		o(s)
	}
	header, err := json.Marshal(s.header)
	if err != nil {
		panic("cognitotest: header: " + err.Error())
	}
	payload, err := json.Marshal(s.claims)
	if err != nil {
		panic("cognitotest: claims: " + err.Error())
	}
	return signALB(k.key, header, payload)
}

// Sign signs header and payload, both used verbatim, with the key that
// signs tokens now, and returns the token as the load balancer encodes it.
// It is for tests that need exact bytes: duplicate members, odd types.
func (a *ALB) Sign(header, payload []byte) string {
	_, key := a.SigningKey()
	return signALB(key, header, payload)
}

// signALB signs header and payload, both used verbatim, with key as the
// load balancer does: each segment base64url with padding, the signature
// ES256 as r||s (64 bytes).
func signALB(key *ecdsa.PrivateKey, header, payload []byte) string {
	enc := base64.URLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		panic("cognitotest: signing: " + err.Error())
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig)
}

func newALBKey() albKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("cognitotest: generating a P-256 key: " + err.Error())
	}
	return albKey{kid: uuid(), key: key}
}

func publicPEM(key *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		panic("cognitotest: encoding a public key: " + err.Error())
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// subject is the sub of username in pool poolID, as Pool.Subject derives
// it.
func subject(poolID, username string) string {
	h := sha256.Sum256([]byte(poolID + "/" + username))
	h[6] = h[6]&0x0f | 0x40 // version 4 layout
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
