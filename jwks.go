package cognito

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/json"
	"golang.org/x/sync/singleflight"
)

const (
	// maxJWKSBytes caps a JWKS response. A Cognito JWKS holds two RSA-2048
	// keys, about 1 KiB.
	maxJWKSBytes = 1 << 20
	// maxJWKSKeys caps the number of keys in one set (bounded parsing work).
	maxJWKSKeys = 100
	// minRSABits is the smallest modulus accepted (RFC 8725 §3.5, NIST).
	minRSABits = 2048
	// rsaExponent is the only public exponent accepted: Cognito's keys use
	// "AQAB" (65537), and anything else is unusual enough to reject.
	rsaExponent = 65537
)

// keySet is an immutable, validated set of RS256 verification keys.
type keySet struct {
	keys      map[string]*rsa.PublicKey
	ambiguous map[string]bool // kids that appeared more than once
	skipped   []string        // why keys were left out, for error messages
}

// jwkFields are the members inspected before go-jose parses a key, so that
// unusable keys are skipped rather than failing the whole set.
type jwkFields struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
}

// parseJWKS parses and validates a JSON Web Key Set. Keys that are not
// usable RS256 verification keys are skipped (one odd key must not sink the
// others); the set is an error when it is malformed or has no usable key.
func parseJWKS(data []byte) (*keySet, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	// go-jose's JSON fork rejects duplicate members and matches names
	// case-sensitively; encoding/json would not.
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid JWKS JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`invalid JWKS: no "keys" array`)
	}
	raw := *doc.Keys
	if len(raw) == 0 {
		return nil, errors.New("invalid JWKS: empty key set")
	}
	if len(raw) > maxJWKSKeys {
		return nil, fmt.Errorf("invalid JWKS: %d keys, more than %d", len(raw), maxJWKSKeys)
	}
	s := &keySet{keys: make(map[string]*rsa.PublicKey, len(raw))}
	for i, r := range raw {
		kid, pub, err := parseJWK(r)
		if err != nil {
			s.skipped = append(s.skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		if _, dup := s.keys[kid]; dup || s.ambiguous[kid] {
			// Two keys under one kid: which one the token meant is a guess.
			delete(s.keys, kid)
			if s.ambiguous == nil {
				s.ambiguous = make(map[string]bool)
			}
			s.ambiguous[kid] = true
			continue
		}
		s.keys[kid] = pub
	}
	if len(s.keys) == 0 {
		return nil, fmt.Errorf("invalid JWKS: no usable RS256 key (%v)", s.skipped)
	}
	return s, nil
}

// parseJWK returns the kid and public key of one JWK, or why it is unusable.
func parseJWK(raw []byte) (string, *rsa.PublicKey, error) {
	var f jwkFields
	if err := json.Unmarshal(raw, &f); err != nil {
		return "", nil, fmt.Errorf("malformed JWK: %w", err)
	}
	switch {
	case f.Kty != "RSA":
		return "", nil, fmt.Errorf("kty %q is not RSA", f.Kty)
	case f.Kid == "":
		return "", nil, errors.New("no kid")
	case len(f.Kid) > maxKidBytes:
		return "", nil, fmt.Errorf("kid longer than %d bytes", maxKidBytes)
	case f.Use != "" && f.Use != "sig":
		return "", nil, fmt.Errorf("use %q is not sig", f.Use)
	case f.Alg != "" && f.Alg != "RS256":
		return "", nil, fmt.Errorf("alg %q is not RS256", f.Alg)
	case f.KeyOps != nil && !contains(f.KeyOps, "verify"):
		return "", nil, errors.New(`key_ops lacks "verify"`)
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		return "", nil, fmt.Errorf("invalid RSA JWK: %w", err)
	}
	pub, ok := k.Key.(*rsa.PublicKey)
	if !ok || !k.IsPublic() {
		// A private key in a public key set is a publisher's mistake we
		// refuse to build on.
		return "", nil, errors.New("not an RSA public key")
	}
	switch {
	case pub.N.BitLen() < minRSABits:
		return "", nil, fmt.Errorf("RSA modulus of %d bits, fewer than %d", pub.N.BitLen(), minRSABits)
	case pub.N.Bit(0) == 0:
		return "", nil, errors.New("RSA modulus is even")
	case pub.E != rsaExponent:
		return "", nil, fmt.Errorf("RSA exponent %d, want %d", pub.E, rsaExponent)
	}
	return f.Kid, pub, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// jwksCache holds one pool's key set. It fetches lazily, shares one fetch
// among all waiting callers, refetches at most once per refetch interval
// when a token names an unknown kid, and keeps the last good set when a
// fetch fails. It runs no background goroutine: a Lambda may be frozen
// between invocations.
type jwksCache struct {
	url             string
	client          *http.Client
	fetchTimeout    time.Duration
	refetchInterval time.Duration
	now             func() time.Time
	fixed           bool // keys given in Config.JWKS: never fetch

	set   atomic.Pointer[keySet]
	group singleflight.Group

	mu        sync.Mutex
	inflight  bool      // a fetch is running (guarded by mu)
	lastFetch time.Time // start of the last fetch (guarded by mu)
	lastErr   error     // result of the last finished fetch (guarded by mu)

	// fetchHook, when set by tests, replaces the HTTP fetch.
	fetchHook func(ctx context.Context) (*keySet, error)
}

// lookup returns the verification key for kid: from the cached set without
// allocating, or through key.
func (c *jwksCache) lookup(ctx context.Context, kid []byte) (*rsa.PublicKey, error) {
	if s := c.set.Load(); s != nil {
		if k := s.keys[string(kid)]; k != nil {
			return k, nil
		}
	}
	return c.key(ctx, string(kid))
}

// key returns the verification key for kid, fetching the key set when it
// is not cached yet or does not hold kid (rate limited).
func (c *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s := c.set.Load()
	if s != nil {
		if k := s.keys[kid]; k != nil {
			return k, nil
		}
		if c.fixed {
			return nil, c.notFound(s, kid)
		}
	}
	ch := c.startFetch()
	if ch == nil {
		// Inside the refetch window with no fetch running: fail fast. If
		// the last refresh failed, the kid may exist and we cannot decide.
		if err := c.lastError(); err != nil {
			return nil, err
		}
		return nil, c.notFound(c.set.Load(), kid)
	}
	select {
	case r := <-ch:
		s = c.set.Load()
		if s != nil {
			if k := s.keys[kid]; k != nil {
				return k, nil
			}
		}
		if r.Err != nil {
			// Either no keys at all, or the refresh that might have
			// brought kid failed: we cannot decide.
			return nil, r.Err
		}
		return nil, c.notFound(s, kid)
	case <-ctx.Done():
		return nil, &KeysError{URL: c.url, Err: fmt.Errorf("waiting for the key set: %w", ctx.Err())}
	}
}

func (c *jwksCache) notFound(s *keySet, kid string) error {
	if s != nil && s.ambiguous[kid] {
		return reject(ErrKeyNotFound, "kid %q appears more than once in the key set", kid)
	}
	return reject(ErrKeyNotFound, "kid %q is not in the user pool's key set", kid)
}

func (c *jwksCache) lastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// startFetch starts a fetch, or joins the one running, and returns the
// channel its result arrives on. It returns nil when keys are cached and the
// last fetch started less than refetchInterval ago.
func (c *jwksCache) startFetch() <-chan singleflight.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.inflight {
		now := c.now()
		if c.set.Load() != nil && now.Sub(c.lastFetch) < c.refetchInterval {
			return nil
		}
		c.inflight = true
		c.lastFetch = now
	}
	// Holding mu guarantees a running fetch has not cleared inflight yet,
	// so it is still registered in the group and DoChan joins it.
	return c.group.DoChan("jwks", c.fetch)
}

// fetch runs one fetch on its own bounded context, detached from any
// caller's: one caller giving up must not fail the others.
func (c *jwksCache) fetch() (_ any, err error) {
	defer func() {
		// singleflight's DoChan re-raises a panic on a new goroutine,
		// which would crash the process: turn it into an error here.
		if p := recover(); p != nil {
			err = &KeysError{URL: c.url, Err: fmt.Errorf("panic while fetching keys: %v", p)}
		}
		c.mu.Lock()
		c.inflight = false
		c.lastErr = err
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), c.fetchTimeout)
	defer cancel()
	var s *keySet
	if c.fetchHook != nil {
		s, err = c.fetchHook(ctx)
	} else {
		s, err = c.download(ctx)
	}
	if err != nil {
		return nil, &KeysError{URL: c.url, Err: err}
	}
	c.set.Store(s) // replaced whole, and only by a valid set
	return nil, nil
}

func (c *jwksCache) download(ctx context.Context) (*keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Redirects are refused too: the key URL comes from configuration
		// and a 3xx has no business moving it.
		return nil, fmt.Errorf("unexpected HTTP status %q", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS larger than %d bytes", maxJWKSBytes)
	}
	return parseJWKS(body)
}

// warm fetches the key set unless one is cached.
func (c *jwksCache) warm(ctx context.Context) error {
	if c.set.Load() != nil {
		return nil
	}
	select {
	case r := <-c.startFetch():
		return r.Err
	case <-ctx.Done():
		return &KeysError{URL: c.url, Err: fmt.Errorf("waiting for the key set: %w", ctx.Err())}
	}
}

// DefaultFetchTimeout bounds one JWKS fetch (connect, TLS, headers and body)
// when Config.FetchTimeout is zero.
const DefaultFetchTimeout = 5 * time.Second

// newHTTPClient returns the client used when Config.HTTPClient is nil: every
// phase has a timeout, and redirects are not followed.
func newHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   3 * time.Second,
			ResponseHeaderTimeout: 3 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          4,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: refuseRedirect,
	}
}

func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
