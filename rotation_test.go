package cognito_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of how soon a new key verifies, and what a flood of unknown kids
// costs, each under steady traffic in fake time: a Verify of each kind
// every tick, known kids among them.

// firstMissWait is the documented wait before a token of an unknown kid
// may fetch after a fetch that found every kid: RefetchInterval/10.
const firstMissWait = cognito.DefaultRefetchInterval / 10

// newKeyTraffic verifies fresh (a token of a key the verifier has not seen)
// and known every tick until fresh verifies, and returns when it first did
// and when it was last rejected (zero if never). Every other answer fails
// the test: fresh is rejected only as ErrKeyNotFound or undecidable as
// ErrKeysUnavailable, as allow permits; known always verifies, without
// waiting.
func newKeyTraffic(t *testing.T, v *cognito.Verifier, fresh, known string, tick time.Duration, allow error) (ok, rejected time.Time) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(tick) {
		require.Less(t, time.Since(start), time.Minute, "the new key never verified")
		_, err := v.Verify(ctx, fresh)
		switch {
		case err == nil:
			return time.Now(), rejected
		case errorsIs(err, cognito.ErrKeyNotFound):
			rejected = time.Now()
		}
		require.ErrorIs(t, err, allow, "at %v", time.Since(start))

		before := time.Now()
		_, err = v.Verify(ctx, known)
		require.NoError(t, err, "known kid")
		require.Zero(t, time.Since(before), "known kid")
	}
}

// C-10: a key published after a fetch that found every kid verifies within
// 2 s under steady traffic, and its tokens are rejected (401) only before
// the first wait after that fetch has passed, never later.
func TestRotationJustAfterFetch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration // from the last fetch to the new key's publication
		// rotated: the last fetch was the one that brought a previous
		// rotation's key, not the first fetch.
		rotated bool
	}{
		{"2 s after the first fetch", 2 * time.Second, false},
		{"100 ms after the first fetch", 100 * time.Millisecond, false},
		{"2 s after a fetch that brought a new key", 2 * time.Second, true},
		{"100 ms after a fetch that brought a new key", 100 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pool := memPool(t)
				v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
				known := pool.AccessToken(cognitotest.ExpiresIn(2 * time.Hour))
				_, err := v.Verify(ctx, known)
				require.NoError(t, err)
				if tc.rotated {
					time.Sleep(time.Minute)
					pool.RotateKeys()
					_, err := v.Verify(ctx, pool.AccessToken())
					require.NoError(t, err)
					require.Equal(t, 2, pool.JWKSRequests())
				}
				fetched := time.Now()

				time.Sleep(tc.after)
				pool.RotateKeys()
				published := time.Now()
				ok, rejected := newKeyTraffic(t, v, pool.AccessToken(), known, 100*time.Millisecond, cognito.ErrKeyNotFound)
				assert.LessOrEqual(t, ok.Sub(published), 2*time.Second, "verifies within 2 s")
				t.Logf("published %v after the last fetch: verified %v later", tc.after, ok.Sub(published))
				if !rejected.IsZero() {
					assert.Less(t, rejected.Sub(fetched), firstMissWait, "401 only within the first wait after the last fetch")
					t.Logf("last 401 %v after the fetch", rejected.Sub(fetched))
				}
			})
		})
	}
}

// C-10: a new key published during a key-endpoint outage verifies within
// the failure backoff (1 s) of the outage's end: the failed fetches did
// not start a refetch window. Meanwhile its tokens are undecidable (5xx),
// never rejected: the verifier cannot know the key does not exist.
func TestRotationAfterOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := memPool(t)
		v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
		known := pool.AccessToken(cognitotest.ExpiresIn(2 * time.Hour))
		require.NoError(t, v.Warm(ctx))
		time.Sleep(time.Minute)

		pool.FailJWKS(503)
		pool.RotateKeys() // published behind the outage
		const outage = 4550 * time.Millisecond
		end := time.Now().Add(outage)
		time.AfterFunc(outage, func() { pool.SetJWKSHandler(nil) })
		ok, rejected := newKeyTraffic(t, v, pool.AccessToken(), known, 100*time.Millisecond, cognito.ErrKeysUnavailable)
		assert.Zero(t, rejected, "never 401 for a key that exists")
		assert.LessOrEqual(t, ok.Sub(end), time.Second, "verifies within the failure backoff of the outage's end")
		assert.LessOrEqual(t, pool.JWKSRequests(), 1+int(outage/time.Second)+2, "one fetch per backoff during the outage")
		t.Logf("verified %v after the outage ended, %d JWKS requests", ok.Sub(end), pool.JWKSRequests())
	})
}

// C-10, K-42: a flood of random kids for one fake minute costs at most one
// fetch per RefetchInterval plus the first, each flood token is rejected
// without waiting on the wait before a fetch, and tokens of known kids are
// never slowed: each of their Verifies (a key lookup, the token cache is
// off) succeeds at once without a fetch of its own.
func TestJWKSFloodMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := memPool(t)
		v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
		known := pool.AccessToken(cognitotest.ExpiresIn(2 * time.Hour))
		start := time.Now()
		require.NoError(t, v.Warm(ctx))

		flood := 0
		for ; time.Since(start) <= time.Minute; time.Sleep(20 * time.Millisecond) {
			for range 5 {
				before := time.Now()
				c, err := v.Verify(ctx, floodToken(known, randomKid()))
				requireRejected(t, cognito.ErrKeyNotFound, c, err)
				require.Zero(t, time.Since(before), "a flood token is answered at once")
				flood++
			}
			before, fetches := time.Now(), pool.JWKSRequests()
			_, err := v.Verify(ctx, known)
			require.NoError(t, err)
			require.Zero(t, time.Since(before), "known kid")
			require.Equal(t, fetches, pool.JWKSRequests(), "no fetch for a known kid")
		}
		assert.LessOrEqual(t, pool.JWKSRequests(), 1+int(time.Minute/cognito.DefaultRefetchInterval))
		t.Logf("%d random kids in a minute: %d JWKS requests", flood, pool.JWKSRequests())
	})
}
