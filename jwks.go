package cognito

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
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

	// Private or symmetric members: any of them, even without d, makes the
	// JWK something other than a public verification key.
	D   json.RawMessage `json:"d"`
	P   json.RawMessage `json:"p"`
	Q   json.RawMessage `json:"q"`
	DP  json.RawMessage `json:"dp"`
	DQ  json.RawMessage `json:"dq"`
	QI  json.RawMessage `json:"qi"`
	Oth json.RawMessage `json:"oth"`
	K   json.RawMessage `json:"k"`
}

// private reports whether the JWK has a private or symmetric member.
func (f *jwkFields) private() bool {
	return f.D != nil || f.P != nil || f.Q != nil || f.DP != nil || f.DQ != nil || f.QI != nil || f.Oth != nil || f.K != nil
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
	case f.private():
		// A private key in a public key set is a publisher's mistake we
		// refuse to build on.
		return "", nil, errors.New("private or symmetric key material")
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		return "", nil, fmt.Errorf("invalid RSA JWK: %w", err)
	}
	pub, ok := k.Key.(*rsa.PublicKey)
	if !ok {
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
// fetch among all waiting callers. It runs no goroutine of its own between
// fetches: a Lambda may be frozen any time. The rules:
//
//   - A set older than the refresh interval is refreshed in the background
//     while it keeps serving, at most once per refetch interval.
//   - A set older than the maximum age (every refresh failed) is no longer
//     used, neither by lookups nor by verified-token cache hits.
//   - A token naming an unknown kid may fetch once missWait has passed since
//     the last fetch ended: a short wait after a fetch that brought a new
//     kid (so a rotation is picked up at once), doubling after each fetch
//     for an unknown kid that brought none (a flood of random kids), up to
//     twice the refetch interval. Over a minute of flood that is at most one
//     fetch per refetch interval on average.
//   - A failed fetch never replaces good keys. After one, nothing fetches for
//     failureBackoff, counted from the failure (not from the start of a fetch
//     that may have hung for its whole bound); meanwhile callers get that
//     failure. Without usable keys, a caller that finds a fetch running after
//     a failure gets that failure at once instead of waiting: at most one
//     caller at a time waits on a hanging endpoint.
type jwksCache struct {
	url             string
	client          *http.Client
	fetchTimeout    time.Duration
	refetchInterval time.Duration
	refreshAfter    time.Duration // <= 0: never refresh a set that serves
	maxAge          time.Duration // <= 0: a set never gets too old
	now             func() time.Time
	fixed           bool         // keys given in Config.JWKS: never fetch
	log             *slog.Logger // nil: no events

	fetches, failures atomic.Uint64
	// refreshAt is when a set due for a refresh may next try one (unix
	// nanoseconds), so that while refreshes fail, hits and lookups do not
	// all take mu to learn that it is too early.
	refreshAt atomic.Int64

	set   atomic.Pointer[keySet]
	group singleflight.Group

	mu       sync.Mutex
	inflight bool          // a fetch is running
	forMiss  bool          // an unknown kid started or joined the running fetch
	lastEnd  time.Time     // when the last fetch finished
	lastErr  error         // result of the last finished fetch
	missWait time.Duration // wait after lastEnd before an unknown kid may fetch; 0: firstMissWait
	cause    fetchCause    // of the running fetch

	// For a MultiVerifier (multi.go). closed: the pool was removed, and
	// nothing fetches or stores keys any more; checked under mu where a
	// fetch stores its set, so that a fetch running during the removal
	// cannot bring the keys back. onStore, when set, is called after each
	// set a fetch stores (not under mu), to bound how many pools hold keys.
	closed  bool
	onStore func()
}

// errRemoved is the cause a closed key cache gives.
var errRemoved = errors.New("the user pool was removed")

// close drops the keys for good: no fetch starts or stores after it.
func (c *jwksCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.set.Store(nil)
}

// evict drops fetched keys to save memory; the next lookup fetches them
// again as on a cold start.
func (c *jwksCache) evict() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed {
		c.set.Store(nil)
	}
}

// failureBackoff is how long nothing fetches after a failed fetch;
// meanwhile callers get that failure.
const failureBackoff = time.Second

// Why a fetch is wanted: the rules differ.
type fetchCause int

const (
	causeNoKeys  fetchCause = iota // no usable set (cold, or too old): fetch unless backing off
	causeMissing                   // a kid the usable set lacks: wait missWait
	causeRefresh                   // the usable set is due for a refresh: wait refetchInterval
)

// firstMissWait is the wait for an unknown kid after a fetch that brought a
// new one (or before any miss): a tenth of the refetch interval, 1 s by
// default. maxMissWait caps the doubling.
func (c *jwksCache) firstMissWait() time.Duration { return c.refetchInterval / 10 }
func (c *jwksCache) maxMissWait() time.Duration   { return 2 * c.refetchInterval }

// usable returns the cached set unless it is older than maxAge.
func (c *jwksCache) usable(now time.Time) *keySet {
	s := c.set.Load()
	if s == nil || c.fixed || c.maxAge <= 0 || now.Sub(s.fetched) < c.maxAge {
		return s
	}
	return nil
}

// serves reports whether s is the cached set and still usable at now, and
// starts a background refresh when s is due for one (the caller is not
// delayed). Lookups and verified-token cache hits both go through it, so a
// hit obeys the same key rules as a miss.
func (c *jwksCache) serves(s *keySet, now time.Time) bool {
	if s == nil || s != c.set.Load() {
		return false
	}
	if c.fixed {
		return true
	}
	age := now.Sub(s.fetched)
	if c.maxAge > 0 && age >= c.maxAge {
		return false
	}
	if c.refreshAfter > 0 && age >= c.refreshAfter && now.UnixNano() >= c.refreshAt.Load() {
		c.startFetch(causeRefresh) // nobody waits: its channel is buffered
	}
	return true
}

// lookup returns the verification key for kid and the set holding it: from
// the cached set without allocating, or through key.
func (c *jwksCache) lookup(ctx context.Context, kid []byte, now time.Time) (*rsa.PublicKey, *keySet, error) {
	if s := c.set.Load(); c.serves(s, now) {
		if k := s.keys[string(kid)]; k != nil {
			return k, s, nil
		}
		return c.key(ctx, string(kid), causeMissing)
	}
	return c.key(ctx, string(kid), causeNoKeys)
}

// key returns the verification key for kid when the cached set lacks it or
// is not usable, fetching as the rules allow.
func (c *jwksCache) key(ctx context.Context, kid string, cause fetchCause) (*rsa.PublicKey, *keySet, error) {
	if c.fixed {
		return nil, nil, c.notFound(c.set.Load(), kid)
	}
	var err error
	if ch := c.startFetch(cause); ch == nil {
		// No fetch now: the last fetch's outcome decides. A fetch may also
		// just have brought kid.
		err = c.lastError()
	} else {
		select {
		case r := <-ch:
			err = r.Err
		case <-ctx.Done():
			return nil, nil, &KeysError{URL: c.url, Err: fmt.Errorf("waiting for the key set: %w", ctx.Err())}
		}
	}
	s := c.usable(c.now())
	if s != nil {
		if k := s.keys[kid]; k != nil {
			return k, s, nil
		}
	}
	if err != nil {
		// Either no usable keys at all, or the fetch that might have
		// brought kid failed: we cannot decide.
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, &KeysError{URL: c.url, Err: errors.New("no usable key set")}
	}
	return nil, nil, c.notFound(s, kid)
}

func (c *jwksCache) notFound(s *keySet, kid string) error {
	if s != nil && s.ambiguous[kid] {
		return reject(ErrKeyNotFound, "kid %q appears more than once in the key set", truncate(kid))
	}
	return reject(ErrKeyNotFound, "kid %q is not in the user pool's key set", truncate(kid))
}

func (c *jwksCache) lastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return &KeysError{URL: c.url, Err: errRemoved}
	}
	return c.lastErr
}

// startFetch starts a fetch, or joins the one running, and returns the
// channel its result arrives on. It returns nil when the rules (see
// jwksCache) say not to fetch or wait now; the caller then goes by the last
// fetch's outcome. The state is read under the lock, so a fetch that
// finished a moment ago counts.
func (c *jwksCache) startFetch(cause fetchCause) <-chan singleflight.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	now := c.now()
	if cause == causeNoKeys && c.usable(now) != nil {
		cause = causeMissing // a fetch that just finished brought keys
	}
	if c.inflight {
		switch {
		case cause == causeRefresh:
			return nil // already refreshing
		case cause == causeNoKeys && c.lastErr != nil:
			return nil // one waiter at a time on a failing endpoint
		case cause == causeMissing:
			c.forMiss = true
		}
		// Holding mu guarantees the running fetch has not cleared inflight
		// yet, so it is still registered in the group and DoChan joins it.
		return c.group.DoChan("jwks", c.fetch)
	}
	since := now.Sub(c.lastEnd)
	if c.lastErr != nil && since < failureBackoff {
		return nil
	}
	switch cause {
	case causeMissing:
		if c.missWait == 0 {
			c.missWait = c.firstMissWait()
		}
		if since < c.missWait {
			return nil
		}
		c.forMiss = true
	case causeRefresh:
		if since < c.refetchInterval {
			c.refreshAt.Store(c.lastEnd.Add(c.refetchInterval).UnixNano())
			return nil
		}
	}
	c.inflight = true
	c.cause = cause
	return c.group.DoChan("jwks", c.fetch)
}

// fetch runs one fetch on its own bounded context, detached from any
// caller's: one caller giving up must not fail the others.
func (c *jwksCache) fetch() (_ any, err error) {
	var grew bool
	c.fetches.Add(1)
	c.mu.Lock()
	cause := c.cause
	c.mu.Unlock()
	start := c.now()
	defer func() {
		// singleflight's DoChan re-raises a panic on a new goroutine,
		// which would crash the process: turn it into an error here.
		if p := recover(); p != nil {
			err = &KeysError{URL: c.url, Err: fmt.Errorf("panic while fetching keys: %v", p)}
		}
		c.mu.Lock()
		c.inflight = false
		c.lastEnd = c.now()
		c.lastErr = err
		switch {
		case err != nil: // the backoff applies; the miss wait stays
		case grew || c.missWait == 0:
			c.missWait = c.firstMissWait()
		case c.forMiss:
			c.missWait = min(2*c.missWait, c.maxMissWait())
		}
		c.forMiss = false
		end := c.lastEnd
		c.mu.Unlock()
		c.logFetch(cause, start, end, err)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), c.fetchTimeout)
	defer cancel()
	s, err := c.download(ctx)
	if err != nil {
		return nil, &KeysError{URL: c.url, Err: err}
	}
	s.fetched = c.now()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, &KeysError{URL: c.url, Err: errRemoved}
	}
	grew = s.hasNewKid(c.set.Load())
	c.set.Store(s) // replaced whole, and only by a valid set
	c.mu.Unlock()
	if c.onStore != nil {
		c.onStore()
	}
	return nil, nil
}

// logFetch counts a finished fetch and reports it to the Logger.
func (c *jwksCache) logFetch(cause fetchCause, start, end time.Time, err error) {
	if err != nil {
		c.failures.Add(1)
	}
	if c.log == nil {
		return
	}
	took := end.Sub(start)
	set := c.set.Load()
	switch {
	case err == nil && cause == causeRefresh:
		c.log.Info("cognito: keys refreshed", "url", c.url, "keys", len(set.keys), "duration", took)
	case err == nil:
		c.log.Info("cognito: keys fetched", "url", c.url, "keys", len(set.keys), "skipped", len(set.skipped), "duration", took)
	case c.usable(end) != nil:
		c.log.Warn("cognito: key fetch failed; serving cached keys", "url", c.url, "error", err.Error(), "duration", took,
			"age", end.Sub(set.fetched), "maxAge", c.maxAge)
	default:
		c.log.Error("cognito: key fetch failed; no usable keys", "url", c.url, "error", err.Error(), "duration", took)
	}
}

// hasNewKid reports whether s holds a kid that old lacks.
func (s *keySet) hasNewKid(old *keySet) bool {
	for kid := range s.keys {
		if old == nil || old.keys[kid] == nil {
			return true
		}
	}
	return false
}

func (c *jwksCache) download(ctx context.Context) (*keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.explainTimeout(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Redirects are refused too: the key URL comes from configuration
		// and a 3xx has no business moving it.
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if e := excerpt(head); e != "" {
			return nil, fmt.Errorf("unexpected HTTP status %q, body begins %q", resp.Status, e)
		}
		return nil, fmt.Errorf("unexpected HTTP status %q", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS: %w", c.explainTimeout(ctx, err))
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS larger than %d bytes", maxJWKSBytes)
	}
	return parseJWKS(body)
}

// explainTimeout names the bound that cut a fetch short.
func (c *jwksCache) explainTimeout(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("no complete answer within FetchTimeout (%v): %w", c.fetchTimeout, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("the HTTP client's timeout expired (dial, TLS handshake or response header; 3 s each with the default client): %w", err)
	}
	return err
}

// excerpt returns the start of a response body for an error message:
// printable ASCII only, at most 120 bytes.
func excerpt(b []byte) string {
	out := make([]byte, 0, 120)
	for _, c := range b {
		if len(out) == cap(out) {
			break
		}
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		} else if len(out) > 0 && out[len(out)-1] != ' ' {
			out = append(out, ' ')
		}
	}
	return strings.TrimSpace(string(out))
}

// warm fetches the key set unless a usable one is cached.
func (c *jwksCache) warm(ctx context.Context) error {
	if c.usable(c.now()) != nil {
		return nil
	}
	ch := c.startFetch(causeNoKeys)
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
