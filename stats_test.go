package cognito_test

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stats counts outcomes by reason, cache hits and misses, fetches and
// failures, and tells the key set's age.
func TestStats(t *testing.T) {
	clk := &movingClock{now: fixedNow}
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool)
	token := pool.AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
	for range 3 {
		_, err := v.Verify(ctx, token)
		require.NoError(t, err)
	}
	_, err := v.Verify(ctx, pool.AccessToken(cognitotest.ExpiresIn(-time.Minute)))
	require.Error(t, err)
	_, err = v.Verify(ctx, "garbage")
	require.Error(t, err)
	clk.Add(90 * time.Minute)

	s := v.Stats()
	assert.Equal(t, uint64(3), s.Verified)
	assert.Equal(t, map[string]uint64{cognito.ErrExpired.Error(): 1, cognito.ErrMalformed.Error(): 1}, s.Rejected)
	assert.Equal(t, uint64(2), s.CacheHits)
	assert.Equal(t, uint64(3), s.CacheMisses)
	assert.Equal(t, uint64(1), s.KeyFetches)
	assert.Zero(t, s.KeyFetchFailures)
	assert.Equal(t, fixedNow, s.KeysFetchedAt)
	assert.Equal(t, 90*time.Minute, s.KeySetAge)

	down := newPool(t)
	down.FailJWKS(503)
	v = newVerifier(t, down)
	_, err = v.Verify(ctx, down.AccessToken())
	require.Error(t, err)
	s = v.Stats()
	assert.Equal(t, uint64(1), s.Undecided)
	assert.Equal(t, uint64(1), s.KeyFetchFailures)
	assert.True(t, s.KeysFetchedAt.IsZero())
}

// The Logger hears of fetches and failures, never of tokens.
func TestKeyEventsLogged(t *testing.T) {
	clk := &movingClock{now: fixedNow}
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	var logs bytes.Buffer
	v := newVerifier(t, pool, func(c *cognito.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		c.TokenCacheSize = -1
	})
	token := pool.AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
	_, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), `"msg":"cognito: keys fetched"`)
	assert.Contains(t, logs.String(), `"keys":2`)

	pool.FailJWKS(503)
	clk.Add(cognito.DefaultRefetchInterval)
	logs.Reset()
	_, err = v.Verify(ctx, pool.AccessToken(cognitotest.WithHeader("kid", "new")))
	require.Error(t, err)
	assert.Contains(t, logs.String(), `"msg":"cognito: key fetch failed; serving cached keys"`)
	assert.Contains(t, logs.String(), `"age":10000000000`)
	assert.Contains(t, logs.String(), "503")

	_, payload, _ := parts(token)
	assert.NotContains(t, logs.String(), payload)
}
