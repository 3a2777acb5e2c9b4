package cognito

import "sync"

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
//   - An entry is used only with the key set that verified it: any change of
//     the set (rotation, a removed kid) makes every entry a miss, verified
//     again from scratch.
//   - Every other rule (issuer, token_use, client, groups, scopes) is fixed
//     in the Verifier's configuration, so its answer cannot change.
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

type cacheShard struct {
	mu   sync.RWMutex
	m    map[[32]byte]*Claims
	ring [][32]byte // insertion order, for eviction
	next int
}

func newTokenCache(size int) *tokenCache {
	per := (size + cacheShards - 1) / cacheShards
	c := &tokenCache{}
	for i := range c.shards {
		c.shards[i].m = make(map[[32]byte]*Claims, per)
		c.shards[i].ring = make([][32]byte, 0, per)
	}
	return c
}

// get returns the claims cached for the token with this signing-input
// digest and signature, and the key set that verified them.
func (c *tokenCache) get(digest *[32]byte, sig string) *Claims {
	s := &c.shards[digest[0]%cacheShards]
	s.mu.RLock()
	cl := s.m[*digest]
	s.mu.RUnlock()
	if cl == nil || cl.sig != sig {
		return nil
	}
	return cl
}

func (c *tokenCache) put(digest *[32]byte, cl *Claims) {
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

func (c *tokenCache) remove(digest *[32]byte, cl *Claims) {
	s := &c.shards[digest[0]%cacheShards]
	s.mu.Lock()
	if s.m[*digest] == cl {
		delete(s.m, *digest) // its ring slot is reused later
	}
	s.mu.Unlock()
}
