package cognito_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A hit returns claims equal to the first verification's, in a value of
// its own; a disabled cache verifies every time.
func TestTokenCacheHit(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken(cognitotest.WithGroups("a", "b"))

	v := newVerifier(t, pool)
	first, err := v.Verify(ctx, token)
	require.NoError(t, err)
	again, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), cognito.CacheHits(v))
	assert.Equal(t, first, again)
	assert.NotSame(t, first, again)

	off := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
	a, err := off.Verify(ctx, token)
	require.NoError(t, err)
	b, err := off.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

// The cache matches the whole token: the same header and payload with
// another signature string is verified from scratch, and rejected.
func TestTokenCacheMatchesWholeToken(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	token := pool.AccessToken()
	_, err := v.Verify(ctx, token)
	require.NoError(t, err)

	h, p, s := parts(token)
	for forged, reason := range map[string]error{
		h + "." + p + "." + s[:len(s)-1] + flipLowBits(s[len(s)-1]): cognito.ErrMalformed, // same bytes, other string
		h + "." + p + "." + strings.Repeat("A", len(s)):             cognito.ErrSignature,
		h + "." + p + ".": cognito.ErrSignature,
	} {
		c, err := v.Verify(ctx, forged)
		requireRejected(t, reason, c, err)
	}
}

// exp, nbf and iat are checked again on every hit.
func TestTokenCacheRechecksTime(t *testing.T) {
	clk := &movingClock{now: fixedNow}
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool, func(c *cognito.Config) { c.Leeway = 10 * time.Second })
	token := pool.AccessToken(cognitotest.ExpiresIn(time.Minute))
	_, err := v.Verify(ctx, token)
	require.NoError(t, err)

	clk.Add(time.Minute + 9*time.Second) // inside the leeway
	_, err = v.Verify(ctx, token)
	require.NoError(t, err)
	clk.Add(time.Second) // now == exp + leeway: expired
	c, err := v.Verify(ctx, token)
	requireRejected(t, cognito.ErrExpired, c, err)
	c, err = v.Verify(ctx, token)
	requireRejected(t, cognito.ErrExpired, c, err)

	// A clock that goes back before nbf and iat.
	clk2 := &movingClock{now: fixedNow}
	v = newVerifier(t, pool, func(c *cognito.Config) { c.Now = clk2.Now })
	token = pool.AccessToken(cognitotest.WithClaim("nbf", fixedNow.Unix()), cognitotest.WithClaim("iat", fixedNow.Unix()))
	_, err = v.Verify(ctx, token)
	require.NoError(t, err)
	clk2.Add(-time.Hour)
	c, err = v.Verify(ctx, token)
	requireRejected(t, cognito.ErrNotYetValid, c, err)
}

// An entry serves only under the key set that verified it: after a refresh
// the token is verified again, and once its kid is gone it is rejected.
func TestTokenCacheFollowsKeySet(t *testing.T) {
	clk := &movingClock{now: fixedNow}
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool)
	token := pool.AccessToken()
	first, err := v.Verify(ctx, token)
	require.NoError(t, err)

	pool.RotateKeys()
	clk.Add(cognito.DefaultRefetchInterval)
	_, err = v.Verify(ctx, pool.AccessToken()) // new kid: refresh
	require.NoError(t, err)
	hits := cognito.CacheHits(v)
	again, err := v.Verify(ctx, token)
	require.NoError(t, err, "the old kid is still published")
	assert.Equal(t, hits, cognito.CacheHits(v), "verified again under the new key set")
	assert.Equal(t, first, again)

	pool.RetireOldKeys()
	clk.Add(cognito.DefaultRefetchInterval)
	_, _ = v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "unknown"))) // refresh
	c, err := v.Verify(ctx, token)
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
}

// The cache is bounded: old entries are evicted first.
func TestTokenCacheBounded(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = 16 })
	tokens := make([]string, 200)
	for i := range tokens {
		tokens[i] = pool.AccessToken()
		_, err := v.Verify(ctx, tokens[i])
		require.NoError(t, err)
	}
	require.Zero(t, cognito.CacheHits(v))
	for _, token := range tokens {
		_, err := v.Verify(ctx, token)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, cognito.CacheHits(v), uint64(16+cacheSlack), "the rest were evicted")
	hits := cognito.CacheHits(v)
	_, err := v.Verify(ctx, tokens[len(tokens)-1])
	require.NoError(t, err)
	assert.Equal(t, hits+1, cognito.CacheHits(v), "the newest entry is still there")
}

// cacheSlack allows for the per-shard rounding of the bound.
const cacheSlack = 16

func TestTokenCacheConfig(t *testing.T) {
	_, err := cognito.NewVerifier(func() cognito.Config { c := validConfig(); c.TokenCacheSize = 1_000_001; return c }())
	assert.ErrorContains(t, err, "TokenCacheSize")
}
