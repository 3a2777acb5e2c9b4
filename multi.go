package cognito

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// DefaultMaxKeySets is how many fetched key sets a [MultiVerifier] holds
// when MultiConfig.MaxKeySets is zero. A Cognito key set (two RSA-2048
// keys) takes about 1.3 KiB.
const DefaultMaxKeySets = 1000

// maxRouteAttempts bounds how often one Verify looks for its pool again
// because the issuer was added, replaced or removed while the resolver was
// asked for it.
const maxRouteAttempts = 3

// MultiConfig configures a [MultiVerifier]. Every field is optional.
type MultiConfig struct {
	// Pools are registered when the MultiVerifier is built, as by
	// [MultiVerifier.Add].
	Pools []Config

	// Resolver, when set, is asked for the pool of an issuer that no
	// registered pool accepts; see [Resolver] for the contract and the
	// caching of its answers.
	Resolver Resolver
	// ResolvedTTL is how long the resolver's "found" answer is used before
	// it is asked again. Default DefaultResolvedTTL.
	ResolvedTTL time.Duration
	// NotFoundTTL is how long its "not found" answer is used. Default
	// DefaultNotFoundTTL.
	NotFoundTTL time.Duration
	// MaxResolved bounds the pools kept from the resolver's answers (least
	// recently used evicted first) and, separately, the issuers kept as not
	// found (oldest first), so that tokens naming random issuers never push
	// a tenant's pool out. Default DefaultMaxResolved.
	MaxResolved int

	// MaxKeySets bounds how many fetched key sets (one per issuer in use)
	// are held at once, registered and resolved pools together; the least
	// recently used are dropped, and fetched again by their pool's next
	// token. Keys given in Config.JWKS are not counted and never dropped.
	// Default DefaultMaxKeySets.
	MaxKeySets int

	// TokenCacheSize bounds the verified-token cache that all pools share
	// (see Config.TokenCacheSize for what it does). A pool's own
	// Config.TokenCacheSize only matters when negative: that pool's tokens
	// are then never cached. Zero means DefaultTokenCacheSize; negative
	// disables the cache. At most 1,000,000.
	TokenCacheSize int
	// MaxTokenBytes rejects longer tokens before the issuer is read.
	// Default DefaultMaxTokenBytes; at most 1 MiB. A pool's
	// Config.MaxTokenBytes may not be larger.
	MaxTokenBytes int

	// HTTPClient fetches the keys of pools whose Config has no HTTPClient.
	// Nil means one client, with the timeouts and redirect rule of
	// Config.HTTPClient's default, shared by all those pools.
	HTTPClient *http.Client
	// Now is the clock of the resolver's answer lifetimes. Default
	// time.Now. Each pool keeps its own Config.Now for its tokens and keys.
	Now func() time.Time
}

// MultiVerifier verifies the tokens of many user pools, each with its own
// [Config]: clients, token use, groups, scopes, rules and key cache. Pools
// are registered when it is built, added, replaced and removed while it
// verifies ([MultiVerifier.Add], [MultiVerifier.Replace],
// [MultiVerifier.Remove]), or looked up by a [Resolver] when a token names
// an issuer no registered pool accepts.
//
// The token's unverified iss selects the pool before any cryptography, and
// the allow-list is decided before any network I/O: a token whose issuer no
// registered pool and no resolver accepts is rejected with [ErrIssuer]
// without a single request, so a token can never make the verifier fetch
// keys from a URL of its choosing. A pool's keys are fetched lazily, on its
// first token, and at most MultiConfig.MaxKeySets key sets are held; all
// pools share one verified-token cache. A registered pool that has no keys
// yet costs about 1 KiB.
//
// Changes are atomic for Verify: a Verify that starts after Add, Replace or
// Remove returns sees the change. One that runs meanwhile is decided by the
// pool before or after the change, and one whose pool is removed before it
// has decided is rejected with ErrIssuer, even when its key fetch or
// signature check was already under way.
//
// A MultiVerifier is safe for concurrent use, including its registration
// methods.
type MultiVerifier struct {
	routes   sync.Map // issuer → *route; written under mu
	cache    *tokenCache
	maxBytes int
	now      func() time.Time
	client   *http.Client

	resolver    Resolver
	resolvedTTL time.Duration
	notFoundTTL time.Duration

	keysMu  sync.Mutex   // after mu, before any jwksCache's mu
	keySets secondChance // routes whose pool holds their fetched keys

	mu       sync.Mutex
	pools    []*pool      // registered, in order
	resolved secondChance // routes of pools from the resolver
	notFound []string     // issuers answered "not found" or failed, oldest first from nfNext
	nfNext   int
	lookups  map[string]*lookup // resolver calls running, by issuer
}

// pool is one registered or resolved user pool.
type pool struct {
	v       *Verifier
	routes  []*route    // the issuers it is found under
	retired atomic.Bool // out of the table: replaced, removed or evicted
	removed atomic.Bool // by Remove, which also closes its key caches
	noCache bool        // TokenCacheSize < 0, or a Config.Check (which sees, and may change, the claims the cache would keep)
}

// route is what the table holds for an issuer: a pool and its key cache
// for that issuer, or the resolver's negative answer. Routes never change
// once stored: any change stores a new one.
type route struct {
	issuer string
	p      *pool      // nil: a negative answer
	keys   *jwksCache // p's key cache for issuer
	until  time.Time  // when the resolver's answer is due again; zero: registered
	cause  error      // negative: why the resolver failed; nil: not found

	inKeys     clockEntry // in keySets, under keysMu
	inResolved clockEntry // in resolved, under mu
}

// NewMultiVerifier builds a MultiVerifier with the pools of cfgs and no
// resolver: NewMultiVerifierWith(MultiConfig{Pools: cfgs}), with a token
// size limit the largest of theirs. It needs at least one Config; two
// accepting the same issuer are an error. It does no network I/O.
func NewMultiVerifier(cfgs ...Config) (*MultiVerifier, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("cognito: invalid config: NewMultiVerifier needs at least one Config")
	}
	mc := MultiConfig{Pools: cfgs, MaxTokenBytes: DefaultMaxTokenBytes}
	for _, cfg := range cfgs {
		if cfg.MaxTokenBytes <= 1<<20 { // larger is NewVerifier's error
			mc.MaxTokenBytes = max(mc.MaxTokenBytes, cfg.MaxTokenBytes)
		}
	}
	return NewMultiVerifierWith(mc)
}

// NewMultiVerifierWith checks mc, registers its pools and returns a
// MultiVerifier. It does no network I/O. With no pools and no resolver it
// rejects every token until pools are added.
func NewMultiVerifierWith(mc MultiConfig) (*MultiVerifier, error) {
	bad := func(format string, args ...any) (*MultiVerifier, error) {
		return nil, fmt.Errorf("cognito: invalid config: "+format, args...)
	}
	m := &MultiVerifier{
		maxBytes:    mc.MaxTokenBytes,
		now:         mc.Now,
		client:      mc.HTTPClient,
		resolver:    mc.Resolver,
		resolvedTTL: orDefault(mc.ResolvedTTL, DefaultResolvedTTL),
		notFoundTTL: orDefault(mc.NotFoundTTL, DefaultNotFoundTTL),
		lookups:     map[string]*lookup{},
	}
	switch {
	case m.maxBytes == 0:
		m.maxBytes = DefaultMaxTokenBytes
	case m.maxBytes < 0 || m.maxBytes > 1<<20:
		return bad("MaxTokenBytes %d is not between 1 and 1 MiB", m.maxBytes)
	}
	if m.resolvedTTL < 0 || m.notFoundTTL < 0 {
		return bad("ResolvedTTL and NotFoundTTL must not be negative")
	}
	bound := func(name string, n, def int) (int, error) {
		switch {
		case n == 0:
			return def, nil
		case n < 0 || n > 1_000_000:
			return 0, fmt.Errorf("cognito: invalid config: %s %d is not between 1 and 1,000,000", name, n)
		}
		return n, nil
	}
	var err error
	if m.keySets.max, err = bound("MaxKeySets", mc.MaxKeySets, DefaultMaxKeySets); err != nil {
		return nil, err
	}
	if m.resolved.max, err = bound("MaxResolved", mc.MaxResolved, DefaultMaxResolved); err != nil {
		return nil, err
	}
	m.keySets.entry = func(r *route) *clockEntry { return &r.inKeys }
	m.resolved.entry = func(r *route) *clockEntry { return &r.inResolved }
	switch size := mc.TokenCacheSize; {
	case size == 0:
		m.cache = newTokenCache(DefaultTokenCacheSize)
	case size > 1_000_000:
		return bad("TokenCacheSize %d is over 1,000,000", size)
	case size > 0:
		m.cache = newTokenCache(size)
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.client == nil {
		m.client = newHTTPClient()
	}
	for i, cfg := range mc.Pools {
		if err := m.Add(cfg); err != nil {
			return nil, fmt.Errorf("config %d: %w", i, err)
		}
	}
	return m, nil
}

// newPool builds the verifier of cfg for m: validated as by NewVerifier,
// with m's HTTP client when cfg has none and without a token cache of its
// own (m's serves every pool, so an idle pool costs no cache).
func (m *MultiVerifier) newPool(cfg Config) (*pool, error) {
	p := &pool{noCache: cfg.TokenCacheSize < 0 || cfg.Check != nil}
	if cfg.TokenCacheSize <= 1_000_000 { // larger is NewVerifier's error
		cfg.TokenCacheSize = -1
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = m.client
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		return nil, err
	}
	if v.maxTokenBytes > m.maxBytes {
		return nil, fmt.Errorf("cognito: invalid config: MaxTokenBytes %d is over the MultiVerifier's %d", v.maxTokenBytes, m.maxBytes)
	}
	p.v = v
	return p, nil
}

// newRoute returns p's route for issuer, one of p's issuers.
func (m *MultiVerifier) newRoute(p *pool, issuer string, until time.Time) *route {
	r := &route{issuer: issuer, p: p, keys: p.v.keys, until: until}
	if p.v.issuers != nil {
		r.keys = p.v.issuers[issuer]
	}
	r.keys.onStore = func() { m.keysStored(r) }
	p.routes = append(p.routes, r)
	return r
}

// keysStored admits r to the key-set bound after its cache stored a set,
// dropping the keys of the least recently used route when the bound is
// full.
func (m *MultiVerifier) keysStored(r *route) {
	m.keysMu.Lock()
	defer m.keysMu.Unlock()
	if r.p.retired.Load() {
		return // out of the table meanwhile: not worth a place
	}
	if victim := m.keySets.add(r); victim != nil {
		victim.keys.evict()
	}
}

func (m *MultiVerifier) load(issuer string) *route {
	if r, ok := m.routes.Load(issuer); ok {
		return r.(*route)
	}
	return nil
}

// Add registers the pool of cfg, validated as by [NewVerifier], under
// every issuer it accepts (see [Verifier.Issuers]). It is an error if a
// registered pool already accepts one of them; a pool the resolver
// answered for one of them is replaced (a registration wins). Its keys are
// fetched on its first token, or by [MultiVerifier.Warm]. Add does no
// network I/O.
func (m *MultiVerifier) Add(cfg Config) error {
	p, err := m.newPool(cfg)
	if err != nil {
		return err
	}
	issuers := p.v.Issuers()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, iss := range issuers {
		if r := m.load(iss); r != nil && r.registered() {
			return fmt.Errorf("cognito: invalid config: issuer %q is already configured", iss)
		}
	}
	for _, iss := range issuers {
		m.put(m.newRoute(p, iss, time.Time{}))
	}
	m.pools = append(m.pools, p)
	return nil
}

// Replace registers the pool of cfg in place of the registered pool that
// accepts cfg's issuer (the primary one, [Verifier.Issuer]); the old pool's
// other issuers go with it. Keys already fetched carry over to the new pool
// for every issuer whose key URL is unchanged; tokens verified by the old
// pool are verified again, under the new rules, on their next use. It is an
// error if no registered pool accepts cfg's issuer, or another registered
// pool accepts one of cfg's other issuers; then nothing changes.
func (m *MultiVerifier) Replace(cfg Config) error {
	p, err := m.newPool(cfg)
	if err != nil {
		return err
	}
	issuers := p.v.Issuers()
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.load(issuers[0])
	if old == nil || !old.registered() {
		return fmt.Errorf("cognito: no registered pool accepts issuer %q (Add registers one)", issuers[0])
	}
	for _, iss := range issuers[1:] {
		if r := m.load(iss); r != nil && r.registered() && r.p != old.p {
			return fmt.Errorf("cognito: invalid config: issuer %q is already configured", iss)
		}
	}
	for _, iss := range issuers {
		m.put(m.newRoute(p, iss, time.Time{}))
	}
	for _, r := range old.p.routes {
		if !slices.Contains(issuers, r.issuer) {
			m.routes.Delete(r.issuer)
		}
	}
	m.pools[slices.Index(m.pools, old.p)] = p
	m.retire(old.p)
	return nil
}

// Remove unregisters the pool that accepts issuer, with all its issuers, or
// forgets the pool (or the "not found") the resolver answered for issuer,
// whose next token then asks the resolver again. After Remove returns, no
// token of that pool verifies, from the verified-token cache neither, and a
// key fetch still running for it cannot bring its keys back. It reports
// whether a pool was removed.
func (m *MultiVerifier) Remove(issuer string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.staleLookup(issuer)
	r := m.load(issuer)
	switch {
	case r == nil:
		return false
	case r.p == nil:
		m.routes.Delete(issuer)
		return false
	}
	for _, pr := range r.p.routes {
		m.routes.Delete(pr.issuer)
	}
	if r.registered() {
		m.pools = slices.DeleteFunc(m.pools, func(p *pool) bool { return p == r.p })
	} else {
		m.resolved.remove(r)
	}
	// removed is set first: a Verify that finds the caches closed finds
	// the pool removed too.
	r.p.removed.Store(true)
	m.retire(r.p)
	if r.p.v.issuers == nil {
		r.p.v.keys.close()
	}
	for _, c := range r.p.v.issuers {
		c.close()
	}
	return true
}

// put stores r as its issuer's route (mu held). A resolver call running
// for the issuer goes stale; a pool the resolver answered there before is
// retired, and its fetched keys carry over to r when they come from the
// same URL. Replacing a registered pool is Replace's work.
func (m *MultiVerifier) put(r *route) {
	m.staleLookup(r.issuer)
	old := m.load(r.issuer)
	if old != nil && old.p != nil {
		m.carryKeys(old, r)
	}
	m.routes.Store(r.issuer, r)
	if old != nil && old.p != nil && !old.registered() {
		m.resolved.remove(old)
		m.retire(old.p)
	}
}

// carryKeys gives r the keys old fetched from the same URL, keeping their
// age, so that a new configuration of a pool does not fetch again.
func (m *MultiVerifier) carryKeys(old, r *route) {
	if old.keys.fixed || r.keys.fixed || old.keys.url != r.keys.url {
		return
	}
	s := old.keys.set.Load()
	if s == nil {
		return
	}
	r.keys.set.Store(s) // r is not stored yet: nothing else sees its cache
	m.keysMu.Lock()
	defer m.keysMu.Unlock()
	if victim := m.keySets.replace(old, r); victim != nil {
		victim.keys.evict()
	}
}

// retire takes p, whose routes are out of the table, out of the key-set
// bound. A Verify that found p before still completes with it (decided by
// the pool in force when it began), but its result is not cached, and the
// cache's entries of p are misses: they name p's key caches, which no route
// holds any more.
func (m *MultiVerifier) retire(p *pool) {
	p.retired.Store(true)
	m.keysMu.Lock()
	defer m.keysMu.Unlock()
	for _, r := range p.routes {
		m.keySets.remove(r)
	}
}

// registered reports whether r is a registered pool's route.
func (r *route) registered() bool { return r.p != nil && r.until.IsZero() }

// used marks r used for the bounds.
func (r *route) used() {
	r.inKeys.touch()
	if !r.until.IsZero() {
		r.inResolved.touch()
	}
}

// Verify checks token with the pool of its issuer; see [Verifier.Verify].
// Errors are those of Verify; [ErrIssuer] for an issuer no registered pool
// and no resolver accepts; and, wrapping [ErrKeysUnavailable], a resolver
// that failed or gave an invalid Config.
func (m *MultiVerifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > m.maxBytes {
		return nil, reject(ErrTooLarge, "%d bytes, limit %d", len(token), m.maxBytes)
	}
	_, p, err := split(token)
	if err != nil {
		return nil, err
	}
	// The shared cache is consulted first, so that a token seen before
	// costs no parsing to route; the entry says which pool verified it.
	var digest [32]byte
	if m.cache != nil {
		digest = sha256.Sum256(bytesOf(token[:p]))
		if e := m.cache.get(&digest, token[p+1:]); e != nil {
			if c, ok, err := m.fromCache(ctx, &digest, e); ok {
				return c, err
			}
		}
	}
	iss, err := unverifiedIssuer(token, m.maxBytes)
	if err != nil {
		return nil, err
	}
	for range maxRouteAttempts {
		r, err := m.find(ctx, iss)
		if errors.Is(err, errChanged) {
			continue
		}
		if err != nil {
			return nil, err
		}
		before := r.keys.set.Load()
		c, err := r.p.v.Verify(ctx, token)
		switch {
		case r.p.removed.Load():
			// Decided as if it ran after the removal, so that no token of
			// the pool verifies once Remove has returned.
			return nil, notConfigured(iss)
		case r.p.retired.Load():
			return c, err // replaced meanwhile: decided by the pool in force when it began
		}
		if before != nil {
			r.used() // a Verify that fetched the keys admitted r unused
		}
		// Cached under the set cached before Verify: while that set is
		// still the cached one, it is the set that verified the token (a
		// set once replaced or dropped never comes back); once it is not,
		// the entry is a miss. A token whose Verify fetched the keys is
		// cached from its next Verify on.
		if err == nil && m.cache != nil && !r.p.noCache && before != nil {
			e := &cacheEntry{sig: token[p+1:], set: before, keys: r.keys}
			c.copyTo(&e.claims)
			m.cache.put(&digest, e)
		}
		return c, err
	}
	return nil, &KeysError{Err: fmt.Errorf("the pool of issuer %q changed during each of %d attempts to verify", truncate(iss), maxRouteAttempts)}
}

// fromCache answers a verified-token cache hit by the rules of a
// Verifier's own cache, and only while the key cache that verified the
// token is the one its issuer's route holds now: a pool replaced, removed
// or evicted since makes the entry a miss. ok is false for a miss.
func (m *MultiVerifier) fromCache(ctx context.Context, digest *[32]byte, e *cacheEntry) (_ *Claims, ok bool, _ error) {
	r := m.load(e.claims.Issuer)
	if r == nil || r.keys != e.keys || (!r.until.IsZero() && !m.now().Before(r.until)) {
		return nil, false, nil
	}
	c, ok, err := r.p.v.answerHit(ctx, m.cache, digest, e, r.p.v.now())
	if ok && err == nil {
		r.used()
	}
	return c, ok, err
}

// Warm fetches the keys of the registered pools that have none cached (the
// primary issuer of each, as [Verifier.Warm]), a few at a time, in the
// order they were registered and at most MaxKeySets of them. The error
// joins their failures, each wrapping [ErrKeysUnavailable].
func (m *MultiVerifier) Warm(ctx context.Context) error {
	m.mu.Lock()
	pools := slices.Clone(m.pools[:min(len(m.pools), m.keySets.max)])
	m.mu.Unlock()
	errs := make([]error, len(pools))
	var g errgroup.Group
	g.SetLimit(8)
	for i, p := range pools {
		g.Go(func() error {
			if err := p.v.Warm(ctx); err != nil && !p.removed.Load() {
				errs[i] = err
			}
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// Middleware is [Middleware] with m as the verifier.
func (m *MultiVerifier) Middleware(next http.Handler, opts ...MiddlewareOption) http.Handler {
	return Middleware(m, next, opts...)
}

// unverifiedIssuer returns the iss of a token's payload without verifying
// anything but its form, with the same parser Verify uses.
func unverifiedIssuer(token string, maxBytes int) (string, error) {
	if len(token) > maxBytes {
		return "", reject(ErrTooLarge, "%d bytes, limit %d", len(token), maxBytes)
	}
	h, p, err := split(token)
	if err != nil {
		return "", err
	}
	var buf [2048]byte
	payload, err := decodeInto(buf[:], token[h+1:p])
	if err != nil {
		return "", notBase64(token, "payload")
	}
	// A claim of the wrong type is judged by the pool's verifier, after the
	// signature; only the issuer is needed here.
	var sc scanned
	_, err = scanPayload(payload, &sc)
	if sc.has&cIss == 0 {
		if errors.Is(err, ErrMalformed) {
			return "", err
		}
		return "", reject(ErrIssuer, "iss is missing or not a string")
	}
	return sc.iss, nil
}
