// Package cognitotest is a local fake Cognito user pool for tests: it serves
// the pool's JWKS from an httptest TLS server (or, with [InMemory], from an
// in-process transport for testing/synctest bubbles) and mints real RS256
// access and ID tokens with Cognito's claim shapes and issuer format.
//
//	pool := cognitotest.NewTestPool(t)
//	v, _ := cognito.NewVerifier(pool.Config())
//	claims, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithUser("alice")))
//
// The JWKS endpoint can be made to fail, hang or serve any body, its
// requests are counted, and keys can be rotated, so tests can reach every
// path of a verifier. A Pool is safe for concurrent use.
//
// [ALB] is a fake Application Load Balancer in the same way: it mints the
// x-amzn-oidc-data tokens a load balancer signs and serves their keys.
package cognitotest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
)

// Defaults of a new Pool.
const (
	DefaultPoolID   = "us-east-1_TestPool1"
	DefaultClientID = "4f3kexampleappclient0000001"
	DefaultUsername = "alice"
)

// Pool is a fake Cognito user pool. Create it with [NewPool] or
// [NewTestPool]. It is safe for concurrent use.
type Pool struct {
	// PoolID is the user pool ID; the issuer is derived from it exactly as
	// Cognito does.
	PoolID string
	// ClientID is the app client tokens are minted for.
	ClientID string

	server   *httptest.Server // nil when inMemory
	inMemory bool
	now      func() time.Time
	closing  chan struct{}
	once     sync.Once

	mu       sync.Mutex
	closed   bool                                        // Close was called (in memory: no new request)
	live     map[*memoryResponse]context.CancelCauseFunc // in-memory requests in flight
	keys     []poolKey                                   // published keys, oldest first
	access   poolKey                                     // signs access tokens
	id       poolKey                                     // signs ID tokens
	override http.Handler
	nextKey  int

	requests     atomic.Int64
	jwksRequests atomic.Int64
}

type poolKey struct {
	kid string
	key *rsa.PrivateKey
}

// Option configures a Pool.
type Option func(*Pool)

// WithPoolID sets the user pool ID (default DefaultPoolID).
func WithPoolID(id string) Option { return func(p *Pool) { p.PoolID = id } }

// WithClientID sets the app client ID (default DefaultClientID).
func WithClientID(id string) Option { return func(p *Pool) { p.ClientID = id } }

// WithClock sets the clock used for iat, auth_time and exp (default
// time.Now). Pass the same clock as Config.Now to test time rules.
func WithClock(now func() time.Time) Option { return func(p *Pool) { p.now = now } }

// NewPool starts a fake pool on a loopback TLS server, or with [InMemory]
// on no server at all. Call Close when done.
func NewPool(opts ...Option) *Pool {
	p := &Pool{
		PoolID:   DefaultPoolID,
		ClientID: DefaultClientID,
		now:      time.Now,
		closing:  make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	p.access = p.newKey()
	p.id = p.newKey()
	p.keys = []poolKey{p.access, p.id}
	if p.inMemory {
		return p
	}
	p.server = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	// Tests make clients distrust the certificate on purpose: keep the
	// handshake errors out of their output.
	p.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.server.StartTLS()
	return p
}

// NewTestPool is NewPool with Close registered on t.Cleanup.
func NewTestPool(t testing.TB, opts ...Option) *Pool {
	t.Helper()
	p := NewPool(opts...)
	t.Cleanup(p.Close)
	return p
}

// Close stops the server, releasing any request held by HangJWKS. Requests
// after it fail as a refused connection would. For an [InMemory] pool it
// also hangs up every request in flight, as net/http's Server.Close does:
// their handlers' r.Context() ends, and their clients get an error.
func (p *Pool) Close() {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		for _, hangUp := range p.live {
			hangUp(errPoolClosed) // before closing: a released handler finds it done
		}
		p.mu.Unlock()
		close(p.closing)
		if p.server != nil {
			p.server.Close()
		}
	})
}

// Issuer returns the pool's issuer, in Cognito's format
// https://cognito-idp.{region}.amazonaws.com/{PoolID}.
func (p *Pool) Issuer() string {
	region, _, _ := strings.Cut(p.PoolID, "_")
	return "https://cognito-idp." + region + ".amazonaws.com/" + p.PoolID
}

// URL returns the base URL of the pool's server; for an [InMemory] pool,
// https://cognitotest.invalid.
func (p *Pool) URL() string {
	if p.inMemory {
		return "https://" + inMemoryHost
	}
	return p.server.URL
}

// JWKSURL returns the URL the pool serves its key set on.
func (p *Pool) JWKSURL() string { return p.URL() + "/" + p.PoolID + "/.well-known/jwks.json" }

// HTTPClient returns a client that trusts the pool's TLS certificate; for
// an [InMemory] pool, the only client that reaches it.
func (p *Pool) HTTPClient() *http.Client {
	if p.inMemory {
		return &http.Client{Transport: memoryTransport{p}}
	}
	return p.server.Client()
}

// Config returns a Config that verifies this pool's access tokens for
// ClientID, fetching keys from the pool's server with the pool's clock.
// Set TokenUse to cognito.IDToken to verify ID tokens.
func (p *Pool) Config() cognito.Config {
	return cognito.Config{
		UserPoolID: p.PoolID,
		ClientIDs:  []string{p.ClientID},
		TokenUse:   cognito.AccessToken,
		JWKSURL:    p.JWKSURL(),
		HTTPClient: p.HTTPClient(),
		Now:        p.now,
	}
}

// JWKS returns the key set the pool currently publishes.
func (p *Pool) JWKS() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksLocked()
}

// Requests returns how many HTTP requests the server has received, on any
// path.
func (p *Pool) Requests() int { return int(p.requests.Load()) }

// JWKSRequests returns how many requests reached the JWKS path.
func (p *Pool) JWKSRequests() int { return int(p.jwksRequests.Load()) }

// AccessKeyID and IDKeyID return the kids that sign access and ID tokens.
func (p *Pool) AccessKeyID() string { p.mu.Lock(); defer p.mu.Unlock(); return p.access.kid }

// IDKeyID returns the kid that signs ID tokens.
func (p *Pool) IDKeyID() string { p.mu.Lock(); defer p.mu.Unlock(); return p.id.kid }

// SigningKey returns the kid and private key that sign tokens of kind use,
// for tests that sign with other algorithms or bytes than the pool does.
func (p *Pool) SigningKey(use cognito.TokenUse) (string, *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if use == cognito.IDToken {
		return p.id.kid, p.id.key
	}
	return p.access.kid, p.access.key
}

// RotateKeys makes new keys sign access and ID tokens. The key set then
// publishes old and new keys, as during a real rotation; RetireOldKeys
// drops the old ones.
func (p *Pool) RotateKeys() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.access, p.id = p.newKey(), p.newKey()
	p.keys = append(p.keys, p.access, p.id)
}

// RetireOldKeys stops publishing every key but the two current ones.
func (p *Pool) RetireOldKeys() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = []poolKey{p.access, p.id}
}

// SetJWKSHandler makes h answer every request to the pool's server (to
// serve errors, odd bodies, slow bodies, redirects). Nil restores the
// normal key set. Requests are counted either way.
func (p *Pool) SetJWKSHandler(h http.Handler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.override = h
}

// FailJWKS makes the server answer status to every request.
func (p *Pool) FailJWKS(status int) {
	p.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, http.StatusText(status), status)
	}))
}

// HangJWKS makes the server accept requests and never answer, until the
// client gives up or the pool is closed.
func (p *Pool) HangJWKS() {
	p.SetJWKSHandler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-p.closing:
		}
	}))
}

func (p *Pool) serve(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	isJWKS := r.URL.Path == "/"+p.PoolID+"/.well-known/jwks.json"
	if isJWKS {
		p.jwksRequests.Add(1)
	}
	p.mu.Lock()
	h := p.override
	body := p.jwksLocked()
	p.mu.Unlock()
	if h != nil {
		h.ServeHTTP(w, r)
		return
	}
	if !isJWKS {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (p *Pool) jwksLocked() []byte {
	type jwk struct {
		Alg string `json:"alg"`
		E   string `json:"e"`
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		N   string `json:"n"`
		Use string `json:"use"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{}
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jwk{
			Alg: "RS256",
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.key.E)).Bytes()),
			Kid: k.kid,
			Kty: "RSA",
			N:   base64.RawURLEncoding.EncodeToString(k.key.N.Bytes()),
			Use: "sig",
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err) // cannot happen: plain strings
	}
	return b
}

// newKey returns the pool's next key. Kids look like Cognito's: standard
// base64 of 32 bytes, with '+', '/' and '='.
func (p *Pool) newKey() poolKey {
	n := p.nextKey
	p.nextKey++
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", p.PoolID, n))
	return poolKey{kid: base64.StdEncoding.EncodeToString(sum[:]), key: sharedKey(n)}
}

// Keys are expensive to generate, and a fake pool needs no secrecy: every
// pool's n-th key is the same process-wide key, under a pool-specific kid.
var (
	keysMu sync.Mutex
	keys   []*rsa.PrivateKey
)

func sharedKey(n int) *rsa.PrivateKey {
	keysMu.Lock()
	defer keysMu.Unlock()
	for len(keys) <= n {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("cognitotest: generating an RSA key: " + err.Error())
		}
		keys = append(keys, k)
	}
	return keys[n]
}

// Sign signs header and payload, both used verbatim, with the key that
// signs access tokens, and returns the compact JWS. It is for tests that
// need exact bytes: duplicate members, odd types, attack headers.
func (p *Pool) Sign(header, payload []byte) string {
	p.mu.Lock()
	k := p.access.key
	p.mu.Unlock()
	return SignWith(k, header, payload)
}

// SignWith signs header and payload, both used verbatim, with key.
func SignWith(key *rsa.PrivateKey, header, payload []byte) string {
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		panic("cognitotest: signing: " + err.Error())
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
