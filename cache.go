package cognito

import (
	"sync"
	"sync/atomic"
)

// DefaultTokenCacheSize is the number of verified tokens a Verifier
// remembers when Config.TokenCacheSize is zero. An entry holds the token's
// claims and costs about 2–3 KiB.
const DefaultTokenCacheSize = 1000

const cacheShards = 16

// tokenCache remembers verified tokens so that the same token presented
// again (every API call of a signed-in user) skips parsing and the RSA
// check. What it changes about security, and what not:
//
//   - An entry is found only for a byte-identical token: the key is the
//     SHA-256 of the signing input (header and payload, the digest the
//     signature check computes anyway) and the entry holds the exact
//     signature, compared in full.
//   - exp, nbf and iat are checked again on every hit, with the verifier's
//     clock and leeway: a cached token expires exactly when it would have.
//   - An entry is used only while the key set that verified it is the one
//     cached and still usable (jwksCache.serves): any change of the set
//     (rotation, a removed kid) makes every entry a miss, a set past
//     MaxKeyAge fails closed as a miss does, and a hit on a set due for a
//     refresh starts it, as a miss does.
//   - The entry keeps its own copy of the claims, which is never handed
//     out: each hit returns a new copy, so nothing a caller does to the
//     Claims it got changes a later decision.
//   - Config.MaxAuthAge and Config.Check are applied again on every hit:
//     their answers change with time and with the service's data.
//   - Every other rule (issuer, token_use, client, groups, scopes,
//     Resources, Principal, ACRValues, ClaimRules) is fixed in the
//     Verifier's configuration, so its answer cannot change.
//   - Rejections are not cached, and nothing about revocation changes (an
//     offline verifier sees none).
//   - A hit is faster than a miss, which tells the caller whether this exact
//     token was verified recently: something only a holder of the token can
//     ask.
//
// It is bounded (oldest entries evicted first, per shard) and safe for
// concurrent use; lookups take a shard's read lock only.
type tokenCache struct {
	shards [cacheShards]cacheShard
}

// cacheEntry is a verified token: its claims (private), its signature, and
// the key set that verified it.
type cacheEntry struct {
	claims Claims
	sig    string
	set    *keySet
	keys   *jwksCache
}

type cacheShard struct {
	hits atomic.Uint64 // beside mu: a lookup writes this cache line anyway
	mu   sync.RWMutex
	m    map[[32]byte]*cacheEntry
	ring [][32]byte // insertion order, for eviction
	next int
}

func newTokenCache(size int) *tokenCache {
	per := (size + cacheShards - 1) / cacheShards
	c := &tokenCache{}
	for i := range c.shards {
		c.shards[i].m = make(map[[32]byte]*cacheEntry, per)
		c.shards[i].ring = make([][32]byte, 0, per)
	}
	return c
}

// get returns the entry of the token with this signing-input digest and
// signature.
func (c *tokenCache) get(digest *[32]byte, sig string) *cacheEntry {
	s := &c.shards[digest[0]%cacheShards]
	s.mu.RLock()
	e := s.m[*digest]
	s.mu.RUnlock()
	if e == nil || e.sig != sig {
		return nil
	}
	return e
}

// served counts a hit that answered a Verify.
func (c *tokenCache) served(digest *[32]byte) { c.shards[digest[0]%cacheShards].hits.Add(1) }

// hitCount returns the number of hits that answered a Verify.
func (c *tokenCache) hitCount() uint64 {
	var n uint64
	for i := range c.shards {
		n += c.shards[i].hits.Load()
	}
	return n
}

func (c *tokenCache) put(digest *[32]byte, cl *cacheEntry) {
	s := &c.shards[digest[0]%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[*digest]; ok {
		s.m[*digest] = cl // the newer verification, e.g. with a new key set
		return
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, *digest)
	} else {
		delete(s.m, s.ring[s.next])
		s.ring[s.next] = *digest
		s.next = (s.next + 1) % len(s.ring)
	}
	s.m[*digest] = cl
}

func (c *tokenCache) remove(digest *[32]byte, cl *cacheEntry) {
	s := &c.shards[digest[0]%cacheShards]
	s.mu.Lock()
	if s.m[*digest] == cl {
		delete(s.m, *digest) // its ring slot is reused later
	}
	s.mu.Unlock()
}
