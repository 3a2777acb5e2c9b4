package cognito

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Limits of the load balancer key cache.
const (
	// albCacheSize bounds the cached keys. A region signs with few keys
	// at a time; the least recently used is evicted first, so a key in
	// use stays however many others pass through.
	albCacheSize = 8
	// albMissBurst is how many fetches for kids not in the cache may
	// start at once; after it, one more per DefaultRefetchInterval. A
	// token's kid cannot be checked without its key, so this bounds what
	// a flood of made-up kids costs.
	albMissBurst = 4
	// maxALBKeyBytes caps a key response; a P-256 key in PEM is about
	// 180 bytes.
	maxALBKeyBytes = 4 << 10
	// maxALBFixedKeys caps ALBConfig.Keys.
	maxALBFixedKeys = 64
)

// albKey is one verification key. Only its stamps change once published.
type albKey struct {
	id      [16]byte
	pub     *ecdsa.PublicKey
	fetched time.Time    // zero for ALBConfig.Keys
	used    atomic.Int64 // cache tick of the last use, for eviction
	retry   atomic.Int64 // Unix ns before which no refresh of it starts
}

// albKeyCache holds load balancer keys, one per kid, each fetched from
// base/{kid}. Lookups of cached keys take no lock and never wait for a
// fetch. A kid not in the cache is fetched once however many callers wait
// (singleflight), within the miss budget (albMissBurst, then one per
// DefaultRefetchInterval); past it, the caller gets ErrKeysUnavailable at
// once. A key older than DefaultKeyRefreshInterval is refetched in the
// background, at most once per DefaultRefetchInterval, while it serves; one
// older than DefaultMaxKeyAge (every refresh failed) is no longer used. A
// failed fetch never replaces a key. It runs no goroutine between fetches.
type albKeyCache struct {
	base   string // "" for fixed keys
	client *http.Client
	now    func() time.Time
	fixed  bool

	keys  atomic.Pointer[[]*albKey] // replaced whole, under mu
	tick  atomic.Int64
	group singleflight.Group

	mu       sync.Mutex
	inflight map[string]bool // kids being fetched (guarded by mu)
	tokens   int             // miss budget left (guarded by mu)
	refilled time.Time       // when tokens was last refilled (guarded by mu)
}

func newALBKeyCache(base string, client *http.Client, now func() time.Time) *albKeyCache {
	c := &albKeyCache{base: base, client: client, now: now, inflight: map[string]bool{}, tokens: albMissBurst}
	c.keys.Store(&[]*albKey{})
	return c
}

// newFixedALBKeys parses ALBConfig.Keys into a cache that never fetches.
func newFixedALBKeys(pems map[string][]byte) (*albKeyCache, error) {
	if len(pems) == 0 {
		return nil, errors.New("empty: leave Keys nil to fetch keys")
	}
	if len(pems) > maxALBFixedKeys {
		return nil, fmt.Errorf("%d keys, more than %d", len(pems), maxALBFixedKeys)
	}
	keys := make([]*albKey, 0, len(pems))
	for kid, data := range pems {
		id, ok := parseUUID([]byte(kid))
		if !ok {
			return nil, fmt.Errorf("kid %q is not a lowercase UUID", kid)
		}
		pub, err := parseALBKey(data)
		if err != nil {
			return nil, fmt.Errorf("kid %s: %v", kid, err)
		}
		keys = append(keys, &albKey{id: id, pub: pub})
	}
	c := &albKeyCache{fixed: true}
	c.keys.Store(&keys)
	return c, nil
}

func (c *albKeyCache) find(id [16]byte) *albKey {
	for _, k := range *c.keys.Load() {
		if k.id == id {
			return k
		}
	}
	return nil
}

// lookup returns the key of kid id: from the cache without locking or
// allocating, or through a fetch.
func (c *albKeyCache) lookup(ctx context.Context, id [16]byte) (*ecdsa.PublicKey, error) {
	k := c.find(id)
	if c.fixed {
		if k == nil {
			return nil, reject(ErrKeyNotFound, "kid %s is not one of ALBConfig.Keys", formatUUID(id))
		}
		return k.pub, nil
	}
	now := c.now()
	if k != nil {
		// Stamped for eviction. The key stamped last needs no new stamp,
		// which keeps the usual lookup free of shared writes.
		if k.used.Load() != c.tick.Load() {
			k.used.Store(c.tick.Add(1))
		}
		age := now.Sub(k.fetched)
		if age < DefaultMaxKeyAge {
			if age >= DefaultKeyRefreshInterval && now.UnixNano() >= k.retry.Load() {
				// Nobody waits for the result (the channel is buffered).
				_, _, _ = c.start(formatUUID(id), id, k, now)
			}
			return k.pub, nil
		}
	}
	pub, ch, err := c.start(formatUUID(id), id, k, now)
	if pub != nil || err != nil {
		return pub, err
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*ecdsa.PublicKey), nil
	case <-ctx.Done():
		return nil, &KeysError{URL: c.base + "/" + formatUUID(id), Err: fmt.Errorf("waiting for the key: %w", ctx.Err())}
	}
}

// errRetryLater and errMissBudget are the answers when the cache rules say
// not to fetch now.
var (
	errRetryLater = fmt.Errorf("the cached key is older than %v and its last refresh failed less than %v ago", DefaultMaxKeyAge, DefaultRefetchInterval)
	errMissBudget = fmt.Errorf("not fetched: more than %d kids not in the cache within %v (a flood of made-up kids?)", albMissBurst, DefaultRefetchInterval)
)

// start starts the fetch of kid, or joins the one running, and returns the
// channel its result arrives on. k is the cached key the caller saw (nil:
// none). It returns a key instead when a fetch stored one meanwhile, and
// an error when the rules say not to fetch now: a known kid is refreshed
// at most once per DefaultRefetchInterval, and an unknown one needs the
// miss budget.
func (c *albKeyCache) start(kid string, id [16]byte, k *albKey, now time.Time) (*ecdsa.PublicKey, <-chan singleflight.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.find(id); got != nil && got != k {
		return got.pub, nil, nil
	}
	if !c.inflight[kid] {
		switch {
		case k != nil && !k.mayRetry(now):
			if now.Sub(k.fetched) >= DefaultMaxKeyAge {
				return nil, nil, &KeysError{URL: c.base + "/" + kid, Err: errRetryLater}
			}
			return k.pub, nil, nil // a background refresh ran just now
		case k == nil && !c.spendMiss(now):
			return nil, nil, &KeysError{URL: c.base + "/" + kid, Err: errMissBudget}
		}
		c.inflight[kid] = true
	}
	// Holding mu guarantees a running fetch has not cleared inflight yet,
	// so it is still registered in the group and DoChan joins it.
	return nil, c.group.DoChan(kid, func() (any, error) { return c.fetch(kid, id) }), nil
}

// mayRetry reports whether a refresh of k may start now, and if so takes
// the slot until DefaultRefetchInterval has passed.
func (k *albKey) mayRetry(now time.Time) bool {
	for {
		next := k.retry.Load()
		if now.UnixNano() < next {
			return false
		}
		if k.retry.CompareAndSwap(next, now.Add(DefaultRefetchInterval).UnixNano()) {
			return true
		}
	}
}

// spendMiss takes one fetch from the miss budget, a token bucket of
// albMissBurst refilled by one per DefaultRefetchInterval. c.mu is held.
func (c *albKeyCache) spendMiss(now time.Time) bool {
	if n := int64(now.Sub(c.refilled) / DefaultRefetchInterval); n >= int64(albMissBurst-c.tokens) {
		c.tokens, c.refilled = albMissBurst, now
	} else if n > 0 {
		c.tokens += int(n)
		c.refilled = c.refilled.Add(time.Duration(n) * DefaultRefetchInterval)
	}
	if c.tokens == 0 {
		return false
	}
	c.tokens--
	return true
}

// fetch runs one fetch on its own bounded context, detached from any
// caller's: one caller giving up must not fail the others.
func (c *albKeyCache) fetch(kid string, id [16]byte) (_ any, err error) {
	url := c.base + "/" + kid
	var pub *ecdsa.PublicKey
	defer func() {
		// singleflight's DoChan re-raises a panic on a new goroutine,
		// which would crash the process: turn it into an error here.
		if p := recover(); p != nil {
			err = &KeysError{URL: url, Err: fmt.Errorf("panic while fetching the key: %v", p)}
		}
		c.mu.Lock()
		if err == nil {
			c.store(id, pub)
		}
		delete(c.inflight, kid)
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultFetchTimeout)
	defer cancel()
	pub, err = c.download(ctx, url)
	if err != nil {
		return nil, &KeysError{URL: url, Err: err}
	}
	return pub, nil
}

// store puts a fetched key in the cache, replacing the key of the same kid
// or else, when full, the least recently used one. c.mu is held.
func (c *albKeyCache) store(id [16]byte, pub *ecdsa.PublicKey) {
	k := &albKey{id: id, pub: pub, fetched: c.now()}
	k.used.Store(c.tick.Add(1))
	keys := make([]*albKey, 0, albCacheSize)
	for _, o := range *c.keys.Load() {
		if o.id != id {
			keys = append(keys, o)
		}
	}
	if len(keys) >= albCacheSize {
		lru := 0
		for i, o := range keys {
			if o.used.Load() < keys[lru].used.Load() {
				lru = i
			}
		}
		keys = slices.Delete(keys, lru, lru+1)
	}
	keys = append(keys, k)
	c.keys.Store(&keys)
}

func (c *albKeyCache) download(ctx context.Context, url string) (*ecdsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxALBKeyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the key: %w", err)
	}
	if len(body) > maxALBKeyBytes {
		return nil, fmt.Errorf("key larger than %d bytes", maxALBKeyBytes)
	}
	return parseALBKey(body)
}

// parseALBKey parses what the key server serves: exactly one PEM block of
// type PUBLIC KEY, without headers or anything around it but whitespace,
// holding the SubjectPublicKeyInfo of a P-256 key.
func parseALBKey(data []byte) (*ecdsa.PublicKey, error) {
	data = bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(data, []byte("-----BEGIN PUBLIC KEY-----")) {
		return nil, errors.New("not a PEM PUBLIC KEY")
	}
	block, rest := pem.Decode(data)
	switch {
	case block == nil || block.Type != "PUBLIC KEY":
		return nil, errors.New("not a PEM PUBLIC KEY")
	case len(block.Headers) != 0:
		return nil, errors.New("PEM headers in a public key")
	case len(bytes.TrimSpace(rest)) != 0:
		return nil, errors.New("data after the PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("invalid public key: %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	switch {
	case !ok:
		return nil, fmt.Errorf("a %T, not a P-256 key", pub)
	case ec.Curve != elliptic.P256():
		return nil, fmt.Errorf("a %s key, not P-256", ec.Curve.Params().Name)
	}
	return ec, nil
}
