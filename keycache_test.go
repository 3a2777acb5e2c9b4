package cognito_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The key cache's rules at their exact edges, with a clock the test moves:
// a bound off by one, or a wait that no longer grows, fails here.

// keyClock is a clock the test sets; safe for concurrent use (background
// refreshes read it).
type keyClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *keyClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// At sets the clock to fixedNow + d.
func (c *keyClock) At(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = fixedNow.Add(d) }

func newKeyClock() *keyClock { return &keyClock{now: fixedNow} }

// K-40, K-41: tokens of unknown kids fetch after a wait that starts at a
// tenth of RefetchInterval and doubles with each fetch that brings no new
// kid, up to twice RefetchInterval: over a minute of one such token a
// second, 6 fetches (one per RefetchInterval on average). A fetch that
// brings a new kid resets the wait.
func TestUnknownKidWaitSchedule(t *testing.T) {
	clk := newKeyClock()
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 })
	_, err := v.Verify(ctx, pool.AccessToken())
	require.NoError(t, err)

	var fetchedAt []int
	step := func(s int, token string) error {
		clk.At(time.Duration(s) * time.Second)
		before := pool.JWKSRequests()
		_, err := v.Verify(ctx, token)
		if pool.JWKSRequests() > before {
			fetchedAt = append(fetchedAt, s)
		}
		return err
	}
	unknown := func(s int) string { return pool.AccessToken(cognitotest.WithHeader("kid", fmt.Sprint("unknown-", s))) }
	for s := 1; s <= 60; s++ {
		require.ErrorIs(t, step(s, unknown(s)), cognito.ErrKeyNotFound)
	}
	assert.Equal(t, []int{1, 3, 7, 15, 31, 51}, fetchedAt, "waits 1, 2, 4, 8, 16, then 20 s")

	// A rotation during the flood: the new kid is fetched at the end of
	// the current 20 s wait, and that fetch resets the wait to 1 s.
	pool.RotateKeys()
	fetchedAt = nil
	for s := 61; s <= 75; s++ {
		err := step(s, pool.AccessToken())
		if s < 71 {
			require.ErrorIs(t, err, cognito.ErrKeyNotFound, "second %d", s)
		} else {
			require.NoError(t, err, "second %d", s)
		}
		if s > 71 {
			require.ErrorIs(t, step(s, unknown(s)), cognito.ErrKeyNotFound)
		}
	}
	assert.Equal(t, []int{71, 72, 74}, fetchedAt)
}

// K-50: with every refresh failing, keys serve until exactly MaxKeyAge
// after their fetch, and not at MaxKeyAge, from the verified-token cache
// as from a lookup.
func TestMaxKeyAgeExact(t *testing.T) {
	for _, size := range []int{0, -1} {
		t.Run(fmt.Sprint("TokenCacheSize ", size), func(t *testing.T) {
			clk := newKeyClock()
			pool := newPool(t, cognitotest.WithClock(clk.Now))
			v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = size })
			token := pool.AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
			_, err := v.Verify(ctx, token)
			require.NoError(t, err)
			pool.FailJWKS(http.StatusInternalServerError)

			clk.At(cognito.DefaultMaxKeyAge - time.Nanosecond)
			_, err = v.Verify(ctx, token)
			require.NoError(t, err, "still within MaxKeyAge")
			clk.At(cognito.DefaultMaxKeyAge)
			c, err := v.Verify(ctx, token)
			requireUnavailable(t, c, err)
		})
	}
}

// keysTransport serves a key set to the verifier inside a synctest
// bubble, without a network: it counts fetches and, while held, blocks
// them until released.
type keysTransport struct {
	body []byte

	mu      sync.Mutex
	fetches int
	hold    chan struct{} // nil: answer at once
}

func (k *keysTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	k.fetches++
	hold := k.hold
	k.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(k.body)), Request: r,
	}, nil
}

func (k *keysTransport) count() int { k.mu.Lock(); defer k.mu.Unlock(); return k.fetches }

// holdFetches makes fetches block until the returned function is called.
func (k *keysTransport) holdFetches() (release func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.hold = make(chan struct{})
	return func() { close(k.hold) }
}

// bubbleStart is when a synctest bubble's clock starts.
var bubbleStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// bubbleVerifier returns a verifier of pool's access tokens (minted at
// bubbleStart) that fetches through a keysTransport, with the bubble's
// clock. Call it inside the bubble; create pool outside it (its server
// would keep the bubble from ever being idle).
func bubbleVerifier(t *testing.T, pool *cognitotest.Pool, edit func(*cognito.Config)) (*cognito.Verifier, *keysTransport) {
	keys := &keysTransport{body: pool.JWKS()}
	cfg := pool.Config()
	cfg.HTTPClient, cfg.Now, cfg.TokenCacheSize = &http.Client{Transport: keys}, nil, -1
	if edit != nil {
		edit(&cfg)
	}
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	return v, keys
}

func bubblePool(t *testing.T) *cognitotest.Pool {
	return cognitotest.NewTestPool(t, cognitotest.WithClock(func() time.Time { return bubbleStart }))
}

// A set due for a refresh is refreshed in the background once
// RefetchInterval has passed since the last fetch, exactly: not a
// nanosecond before.
func TestBackgroundRefreshExact(t *testing.T) {
	pool := bubblePool(t)
	token := pool.AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
	synctest.Test(t, func(t *testing.T) {
		v, keys := bubbleVerifier(t, pool, func(c *cognito.Config) {
			c.KeyRefreshInterval, c.RefetchInterval = 5*time.Second, 10*time.Second
		})
		_, err := v.Verify(ctx, token)
		require.NoError(t, err)

		time.Sleep(10*time.Second - time.Nanosecond) // due (5 s), but 10 s have not passed
		_, err = v.Verify(ctx, token)
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 1, keys.count())

		time.Sleep(time.Nanosecond)
		_, err = v.Verify(ctx, token)
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, 2, keys.count(), "refreshed in the background")
	})
}

// An unknown kid that joins a running background refresh makes it a fetch
// for an unknown kid: when it brings no new kid, the wait doubles.
func TestUnknownKidJoinsRefresh(t *testing.T) {
	pool := bubblePool(t)
	token := pool.AccessToken(cognitotest.ExpiresIn(48 * time.Hour))
	unknown := func(i int) string {
		return pool.AccessToken(cognitotest.ExpiresIn(48*time.Hour), cognitotest.WithHeader("kid", fmt.Sprint("unknown-", i)))
	}
	synctest.Test(t, func(t *testing.T) {
		v, keys := bubbleVerifier(t, pool, nil)
		_, err := v.Verify(ctx, token)
		require.NoError(t, err) // the wait for unknown kids is now 1 s

		time.Sleep(cognito.DefaultKeyRefreshInterval)
		release := keys.holdFetches()
		_, err = v.Verify(ctx, token) // starts the refresh, which hangs
		require.NoError(t, err)
		joined := make(chan error, 1)
		go func() { _, err := v.Verify(ctx, unknown(0)); joined <- err }()
		synctest.Wait()
		assert.Equal(t, 2, keys.count(), "the unknown kid joined the refresh")
		release()
		require.ErrorIs(t, <-joined, cognito.ErrKeyNotFound)

		time.Sleep(time.Second)
		_, err = v.Verify(ctx, unknown(1))
		require.ErrorIs(t, err, cognito.ErrKeyNotFound)
		assert.Equal(t, 2, keys.count(), "the wait is 2 s now")
		time.Sleep(time.Second)
		_, err = v.Verify(ctx, unknown(2))
		require.ErrorIs(t, err, cognito.ErrKeyNotFound)
		assert.Equal(t, 3, keys.count())
	})
}

// K-60: without usable keys, while one caller waits on a fetch after a
// failure, the others get that failure at once instead of waiting too. A
// caller whose context is already done shows it: it would report its
// context if it had waited.
func TestOneWaiterOnFailingEndpoint(t *testing.T) {
	clk := newKeyClock()
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize, c.FetchTimeout = -1, time.Hour })
	token := pool.AccessToken()
	pool.FailJWKS(http.StatusInternalServerError)
	c, err := v.Verify(ctx, token)
	requireUnavailable(t, c, err)

	clk.At(2 * time.Second) // past the failure backoff
	pool.HangJWKS()
	waiting := make(chan error, 1)
	go func() { _, err := v.Verify(ctx, token); waiting <- err }()
	require.Eventually(t, func() bool { return pool.JWKSRequests() == 2 }, time.Minute, time.Millisecond)

	done, cancel := context.WithCancel(ctx)
	cancel()
	c, err = v.Verify(done, token)
	requireUnavailable(t, c, err)
	assert.NotErrorIs(t, err, context.Canceled, "it waited on the running fetch")
	assert.ErrorContains(t, err, "500")
	assert.Equal(t, 2, pool.JWKSRequests())

	pool.Close() // releases the hanging fetch
	require.ErrorIs(t, <-waiting, cognito.ErrKeysUnavailable)
}
