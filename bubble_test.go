package cognito_test

import (
	"net/http"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/require"
)

// Tests of time-dependent rules run in testing/synctest bubbles, with fake
// time, against in-memory pools (a socket would keep fake time from
// moving). Inside a bubble, time.Now is the bubble's clock: pools and
// verifiers keep their default clocks, which then agree.

// memPool returns an in-memory pool on the default clock. Call it inside
// the bubble that uses it.
func memPool(t testing.TB, opts ...cognitotest.Option) *cognitotest.Pool {
	t.Helper()
	return cognitotest.NewTestPool(t, append([]cognitotest.Option{cognitotest.InMemory()}, opts...)...)
}

// cacheModes are the two ways a rule must hold: answered from the
// verified-token cache, and looked up in the key set on every call.
var cacheModes = []struct {
	name string
	size int // Config.TokenCacheSize
}{
	{"cache on", 0},
	{"cache off", -1},
}

// keyTwins are two verifiers of one user pool, one with the verified-token
// cache and one without, each fetching from its own in-memory copy of the
// pool (same pool ID, so the same kids and keys) so that their requests are
// counted apart. Every step runs on both and must have the same outcome: a
// key rule holds on a cache hit exactly as on a lookup.
type keyTwins struct {
	pools [2]*cognitotest.Pool // [0] serves the verifier with the cache
	vs    [2]*cognito.Verifier
}

func newKeyTwins(t *testing.T, edit ...func(*cognito.Config)) *keyTwins {
	t.Helper()
	k := &keyTwins{}
	for i, mode := range cacheModes {
		k.pools[i] = memPool(t)
		k.vs[i] = newVerifier(t, k.pools[i], append([]func(*cognito.Config){func(c *cognito.Config) { c.TokenCacheSize = mode.size }}, edit...)...)
	}
	return k
}

// each applies change to both pools.
func (k *keyTwins) each(change func(*cognitotest.Pool)) {
	for _, p := range k.pools {
		change(p)
	}
}

// verify verifies token with both verifiers, requires the same outcome (nil,
// or errors with the same text) and returns it.
func (k *keyTwins) verify(t *testing.T, token string) error {
	t.Helper()
	var errs [2]error
	for i, v := range k.vs {
		c, err := v.Verify(ctx, token)
		require.Equal(t, err == nil, c != nil, "claims with an error, or neither")
		errs[i] = err
	}
	if errs[0] == nil || errs[1] == nil {
		require.Equal(t, errs[1], errs[0], "cache on (got) and off (want) disagree")
	} else {
		require.Equal(t, errs[1].Error(), errs[0].Error(), "cache on (got) and off (want) disagree")
	}
	return errs[0]
}

// requests returns the JWKS requests each verifier made, requiring them equal.
func (k *keyTwins) requests(t *testing.T) int {
	t.Helper()
	on, off := k.pools[0].JWKSRequests(), k.pools[1].JWKSRequests()
	require.Equal(t, off, on, "JWKS requests with the cache (got) and without (want)")
	return on
}

// hits returns how many Verify calls the cached twin answered from its cache.
func (k *keyTwins) hits() uint64 { return cognito.CacheHits(k.vs[0]) }

// gate returns a JWKS handler that holds each request until release is
// closed, then serves pool's key set.
func gate(pool *cognitotest.Pool, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(pool.JWKS())
	})
}
