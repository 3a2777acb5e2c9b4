package cognito

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
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
	fetched   time.Time       // when it was fetched; zero for Config.JWKS
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
	case f.KeyOps != nil && !slices.Contains(f.KeyOps, "verify"):
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

// jwksCache holds one issuer's key set. It fetches lazily and shares one
// fetch among all waiting callers. A token naming an unknown kid triggers
// at most one fetch per refetch interval. A set older than the refresh
// interval is refreshed in the background while it keeps serving; a set
// older than the maximum age (every refresh failed) is no longer used. A
// failed fetch never replaces good keys, and after one, a cache without
// usable keys waits failureBackoff before it tries again. It runs no
// goroutine of its own between fetches: a Lambda may be frozen any time.
type jwksCache struct {
	url             string
	client          *http.Client
	fetchTimeout    time.Duration
	refetchInterval time.Duration
	refreshAfter    time.Duration // <= 0: never refresh a set that serves
	maxAge          time.Duration // <= 0: a set never gets too old
	now             func() time.Time
	fixed           bool // keys given in Config.JWKS: never fetch

	set   atomic.Pointer[keySet]
	group singleflight.Group

	mu        sync.Mutex
	inflight  bool      // a fetch is running (guarded by mu)
	lastFetch time.Time // start of the last fetch (guarded by mu)
	lastErr   error     // result of the last finished fetch (guarded by mu)
}

// failureBackoff is how long a cache without usable keys waits after a
// failed fetch before it fetches again; meanwhile callers get that failure.
const failureBackoff = time.Second

// usable returns the cached set unless it is older than maxAge.
func (c *jwksCache) usable(now time.Time) *keySet {
	s := c.set.Load()
	if s == nil || c.fixed || c.maxAge <= 0 || now.Sub(s.fetched) < c.maxAge {
		return s
	}
	return nil
}

// lookup returns the verification key for kid: from the cached set without
// allocating, or through key.
func (c *jwksCache) lookup(ctx context.Context, kid []byte) (*rsa.PublicKey, error) {
	now := c.now()
	if s := c.usable(now); s != nil {
		if k := s.keys[string(kid)]; k != nil {
			if !c.fixed && c.refreshAfter > 0 && now.Sub(s.fetched) >= c.refreshAfter {
				// Refresh in the background: startFetch applies the
				// refetch window and joins a running fetch; nobody waits
				// for the result (its channel is buffered).
				c.startFetch()
			}
			return k, nil
		}
	}
	return c.key(ctx, string(kid))
}

// key returns the verification key for kid when the usable set (if any)
// lacks it, fetching as the rules allow. Its caller, lookup, has just
// looked in the cached set.
func (c *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if c.fixed {
		return nil, c.notFound(c.set.Load(), kid)
	}
	var err error
	if ch := c.startFetch(); ch == nil {
		// No fetch now (inside the refetch window, or backing off after a
		// failure): the last fetch's outcome decides. A fetch may also just
		// have brought kid.
		err = c.lastError()
	} else {
		select {
		case r := <-ch:
			err = r.Err
		case <-ctx.Done():
			return nil, &KeysError{URL: c.url, Err: fmt.Errorf("waiting for the key set: %w", ctx.Err())}
		}
	}
	s := c.usable(c.now())
	if s != nil {
		if k := s.keys[kid]; k != nil {
			return k, nil
		}
	}
	if err != nil {
		// Either no usable keys at all, or the fetch that might have
		// brought kid failed: we cannot decide.
		return nil, err
	}
	return nil, c.notFound(s, kid)
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
// channel its result arrives on. It returns nil when the rules say not to
// fetch now: with usable keys, inside the refetch window; without, inside
// the backoff after a failure. The state is read under the lock, so a fetch
// that finished a moment ago counts.
func (c *jwksCache) startFetch() <-chan singleflight.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.inflight {
		now := c.now()
		since := now.Sub(c.lastFetch)
		if c.usable(now) != nil {
			if since < c.refetchInterval {
				return nil
			}
		} else if c.lastErr != nil && since < failureBackoff {
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
	s, err := c.download(ctx)
	if err != nil {
		return nil, &KeysError{URL: c.url, Err: err}
	}
	s.fetched = c.now()
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

// warm fetches the key set unless a usable one is cached.
func (c *jwksCache) warm(ctx context.Context) error {
	if c.usable(c.now()) != nil {
		return nil
	}
	ch := c.startFetch()
	if ch == nil {
		if c.usable(c.now()) != nil {
			return nil
		}
		return c.lastError()
	}
	select {
	case r := <-ch:
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
