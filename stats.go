package cognito

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a [Verifier]'s counters since it was built, for
// metrics and health checks ("did the keys refresh, and how old are they?").
type Stats struct {
	Verified  uint64            // tokens accepted, cache hits included
	Rejected  map[string]uint64 // tokens rejected, by reason (the reason's text, such as "token is expired")
	Undecided uint64            // Verify calls that could not decide (keys unavailable, context cancelled)

	CacheHits   uint64 // Verify calls answered by the verified-token cache
	CacheMisses uint64 // Verify calls verified from scratch (or refused before), while the cache is on

	KeyFetches       uint64    // key-set fetches started, every issuer
	KeyFetchFailures uint64    // key-set fetches that failed
	KeysFetchedAt    time.Time // when the primary issuer's cached key set was fetched; zero if none (or given in Config.JWKS)
	KeySetAge        time.Duration
}

// Stats returns the verifier's counters. It is cheap and safe for
// concurrent use; the counters cost Verify no allocation.
func (v *Verifier) Stats() Stats {
	s := Stats{
		Verified:  v.stats.verified.Load(),
		Undecided: v.stats.undecided.Load(),
		Rejected:  map[string]uint64{},
	}
	v.stats.rejected.Range(func(k, n any) bool {
		s.Rejected[k.(error).Error()] = n.(*atomic.Uint64).Load()
		return true
	})
	if v.cache != nil {
		s.CacheHits = v.cache.hitCount()
		s.Verified += s.CacheHits
		s.CacheMisses = v.stats.misses.Load()
	}
	for _, c := range v.caches() {
		s.KeyFetches += c.fetches.Load()
		s.KeyFetchFailures += c.failures.Load()
	}
	if set := v.keys.set.Load(); set != nil && !set.fetched.IsZero() {
		s.KeysFetchedAt = set.fetched
		s.KeySetAge = v.now().Sub(set.fetched)
	}
	return s
}

// tokenError returns the TokenError in err's tree, or nil. Verify's own
// rejections are one, unwrapped: they cost no allocation to find.
func tokenError(err error) *TokenError {
	if te, ok := err.(*TokenError); ok {
		return te
	}
	var te *TokenError
	errors.As(err, &te)
	return te
}

// caches returns every issuer's key cache.
func (v *Verifier) caches() []*jwksCache {
	if v.issuers == nil {
		return []*jwksCache{v.keys}
	}
	out := make([]*jwksCache, 0, len(v.issuers))
	for _, c := range v.issuers {
		out = append(out, c)
	}
	return out
}

// counters are a Verifier's outcome counters for calls not answered by the
// verified-token cache (its hits are counted per shard, so that a hit
// writes no cache line shared across cores).
type counters struct {
	verified, undecided, misses atomic.Uint64
	rejected                    sync.Map // reason sentinel → *atomic.Uint64
}

func (s *counters) record(err error) {
	if err == nil {
		s.verified.Add(1)
		return
	}
	s.recordError(err)
}

// recordError is record's slow path, apart so that the error variable it
// takes the address of costs the accepted path no allocation.
func (s *counters) recordError(err error) {
	te := tokenError(err)
	switch {
	case te != nil && te.Reason != nil:
		n, ok := s.rejected.Load(te.Reason)
		if !ok {
			n, _ = s.rejected.LoadOrStore(te.Reason, new(atomic.Uint64))
		}
		n.(*atomic.Uint64).Add(1)
	default:
		s.undecided.Add(1)
	}
}
