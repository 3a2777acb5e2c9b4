package cognito_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newMulti returns an empty MultiVerifier whose pools fetch from f.
func newMulti(t testing.TB, f *fakeCognito, edit ...func(*cognito.MultiConfig)) *cognito.MultiVerifier {
	t.Helper()
	mc := cognito.MultiConfig{HTTPClient: f.client()}
	for _, e := range edit {
		e(&mc)
	}
	m, err := cognito.NewMultiVerifierWith(mc)
	require.NoError(t, err)
	return m
}

// Pools added, replaced and removed while the verifier runs; an issuer not
// registered is rejected with no request (M-01).
func TestMultiVerifierRegistration(t *testing.T) {
	f := newFakeCognito(t)
	m := newMulti(t, f)
	a, b := "us-east-1_PoolA", "us-east-1_PoolB"
	tokenA := f.token(a, "ann")

	c, err := m.Verify(ctx, tokenA)
	requireRejected(t, cognito.ErrIssuer, c, err)
	require.NoError(t, m.Warm(ctx), "nothing to warm")
	assert.Zero(t, f.total())

	require.NoError(t, m.Add(f.config(a)))
	assert.Zero(t, f.total(), "Add fetches nothing")
	c, err = m.Verify(ctx, tokenA)
	require.NoError(t, err)
	assert.Equal(t, "sub-"+a+"-ann", c.Subject)
	assert.ErrorContains(t, m.Add(f.config(a)), "already configured")
	c, err = m.Verify(ctx, f.token(b, "ben"))
	requireRejected(t, cognito.ErrIssuer, c, err)
	assert.Zero(t, f.count(b))

	// Replace: the new rules apply at once, to cached tokens too; the keys
	// carry over.
	_, err = m.Verify(ctx, tokenA) // now cached
	require.NoError(t, err)
	strict := f.config(a)
	strict.ClientIDs = []string{"another-client"}
	require.NoError(t, m.Replace(strict))
	c, err = m.Verify(ctx, tokenA)
	requireRejected(t, cognito.ErrClient, c, err)
	require.NoError(t, m.Replace(f.config(a)))
	_, err = m.Verify(ctx, tokenA)
	require.NoError(t, err)
	assert.Equal(t, 1, f.count(a), "keys carried over through both replacements")
	assert.ErrorContains(t, m.Replace(f.config(b)), "no registered pool")
	bad := f.config(a)
	bad.TokenUse = ""
	assert.ErrorContains(t, m.Replace(bad), "TokenUse")
	assert.ErrorContains(t, m.Add(bad), "TokenUse")

	// Remove: cached or not, A's tokens are rejected as unknown; nothing
	// is fetched for them.
	assert.True(t, m.Remove(issuerOf(a)))
	c, err = m.Verify(ctx, tokenA)
	requireRejected(t, cognito.ErrIssuer, c, err)
	assert.False(t, m.Remove(issuerOf(a)))
	assert.Equal(t, 1, f.count(a))
	assert.Zero(t, cognito.KeySetsHeld(m))

	// Added again, it starts from nothing: the keys it had are gone.
	require.NoError(t, m.Add(f.config(a)))
	_, err = m.Verify(ctx, tokenA)
	require.NoError(t, err)
	assert.Equal(t, 2, f.count(a))
}

// A pool with several issuers is added, replaced and removed whole.
func TestMultiVerifierRegistrationIssuerForms(t *testing.T) {
	f := newFakeCognito(t)
	m := newMulti(t, f)
	id := "us-east-1_Forms"
	cfg := f.config(id)
	cfg.ReplicaRegions = []string{"eu-west-1"}
	require.NoError(t, m.Add(cfg))
	replica := "https://cognito-idp.eu-west-1.amazonaws.com/" + id
	c, err := m.Verify(ctx, f.token(id, "ann", "iss", replica))
	require.NoError(t, err)
	assert.Equal(t, replica, c.Issuer)

	// Another pool claiming the replica issuer is refused, by Add and by
	// Replace.
	other := f.config("eu-west-1_Other")
	other.Issuer = replica
	assert.ErrorContains(t, m.Add(other), "already configured")
	noReplica := f.config(id)
	require.NoError(t, m.Replace(noReplica))
	c, err = m.Verify(ctx, f.token(id, "ann", "iss", replica))
	requireRejected(t, cognito.ErrIssuer, c, err)
	require.NoError(t, m.Replace(cfg))

	// Removing it by its replica issuer removes the home issuer too.
	assert.True(t, m.Remove(replica))
	c, err = m.Verify(ctx, f.token(id, "ann"))
	requireRejected(t, cognito.ErrIssuer, c, err)
}

// M-04: with both pools registered, a token naming A's issuer and B's kid
// is looked up in A's key set only.
func TestMultiVerifierKeysStayWithTheirPool(t *testing.T) {
	f := newFakeCognito(t)
	m := newMulti(t, f)
	a, b := "us-east-1_PoolA", "us-east-1_PoolB"
	require.NoError(t, m.Add(f.config(a)))
	require.NoError(t, m.Add(f.config(b)))
	_, err := m.Verify(ctx, f.token(b, "ben"))
	require.NoError(t, err)
	forged := cognitotest.SignWith(f.key, f.header(b), mustJSON(t, map[string]any{
		"iss": issuerOf(a), "sub": "x", "client_id": "client-" + a, "token_use": "access",
		"exp": fixedNow.Unix() + 3600, "iat": fixedNow.Unix(),
	}))
	c, err := m.Verify(ctx, forged)
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
}

// M-03: a pool removed while its keys are being fetched. The Verify that
// waits on the fetch is rejected as for an unknown issuer (not 500), the
// fetch's keys are not kept when it completes, and the pool added again
// fetches its own.
func TestMultiVerifierRemoveDuringFetch(t *testing.T) {
	for _, name := range []string{"Verify", "Warm"} {
		t.Run(name, func(t *testing.T) {
			f := newFakeCognito(t)
			m := newMulti(t, f)
			a := "us-east-1_PoolA"
			require.NoError(t, m.Add(f.config(a)))
			token := f.token(a, "ann")
			release := f.hold(a)

			done := make(chan error, 1)
			go func() {
				var err error
				if name == "Verify" {
					_, err = m.Verify(ctx, token)
				} else {
					err = m.Warm(ctx)
				}
				done <- err
			}()
			<-f.arrived // the fetch is under way
			require.True(t, m.Remove(issuerOf(a)))
			c, err := m.Verify(ctx, token)
			requireRejected(t, cognito.ErrIssuer, c, err)
			release()
			err = <-done
			if name == "Verify" {
				requireRejected(t, cognito.ErrIssuer, nil, err)
			} else {
				assert.NoError(t, err, "a pool removed while warming is not a failure")
			}
			assert.Zero(t, cognito.KeySetsHeld(m))
			assert.Zero(t, cognito.KeySetsTracked(m))
			c, err = m.Verify(ctx, token)
			requireRejected(t, cognito.ErrIssuer, c, err)

			require.NoError(t, m.Add(f.config(a)))
			_, err = m.Verify(ctx, token)
			require.NoError(t, err)
			assert.Equal(t, 2, f.count(a), "the new registration fetched; the old fetch's keys were dropped")
		})
	}
}

// A Verify that found the pool before it was replaced is decided by that
// pool; its result is not cached, its keys do not count in the bound, and
// every Verify after the replacement follows the new rules.
func TestMultiVerifierReplaceDuringFetch(t *testing.T) {
	f := newFakeCognito(t)
	m := newMulti(t, f)
	a := "us-east-1_PoolA"
	require.NoError(t, m.Add(f.config(a)))
	token := f.token(a, "ann")
	release := f.hold(a)
	done := make(chan error, 1)
	go func() { _, err := m.Verify(ctx, token); done <- err }()
	<-f.arrived
	strict := f.config(a)
	strict.ClientIDs = []string{"another-client"}
	require.NoError(t, m.Replace(strict))
	release()
	require.NoError(t, <-done)
	assert.Zero(t, cognito.KeySetsTracked(m))
	for range 2 {
		c, err := m.Verify(ctx, token)
		requireRejected(t, cognito.ErrClient, c, err)
	}
	assert.Equal(t, 2, f.count(a), "the new pool fetched its own")
}

// Registration and removal under concurrent verification (-race): a pool
// that stays registered always verifies, one coming and going verifies or
// is unknown (never a 500), a replacement is in force for every Verify
// that starts after it returns, and concurrent Adds lose nothing.
func TestMultiVerifierConcurrentRegistration(t *testing.T) {
	f := newFakeCognito(t)
	m := newMulti(t, f)
	stable, churn, flip := "us-east-1_Stable", "us-east-1_Churn", "us-east-1_Flip"
	require.NoError(t, m.Add(f.config(stable)))
	require.NoError(t, m.Add(f.config(flip)))
	stableToken, churnToken, flipToken := f.token(stable, "s"), f.token(churn, "c"), f.token(flip, "f")
	strict := f.config(flip)
	strict.ClientIDs = []string{"another-client"}

	var stop atomic.Bool
	var wrong atomic.Int64
	var errs sync.Map
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := m.Verify(ctx, stableToken); err != nil {
					wrong.Add(1)
					errs.Store("stable", err)
				}
				if _, err := m.Verify(ctx, churnToken); err != nil && !errorsIs(err, cognito.ErrIssuer) {
					wrong.Add(1)
					errs.Store("churn", err)
				}
				if _, err := m.Verify(ctx, flipToken); err != nil && !errorsIs(err, cognito.ErrClient) {
					wrong.Add(1)
					errs.Store("flip", err)
				}
			}
		})
	}
	for range 200 {
		require.NoError(t, m.Add(f.config(churn)))
		assert.True(t, m.Remove(issuerOf(churn)))
		c, err := m.Verify(ctx, churnToken)
		requireRejected(t, cognito.ErrIssuer, c, err)

		require.NoError(t, m.Replace(strict))
		c, err = m.Verify(ctx, flipToken)
		requireRejected(t, cognito.ErrClient, c, err)
		require.NoError(t, m.Replace(f.config(flip)))
		_, err = m.Verify(ctx, flipToken)
		require.NoError(t, err)
	}
	stop.Store(true)
	wg.Wait()
	errs.Range(func(k, v any) bool { t.Errorf("%s: %v", k, v); return true })
	assert.Zero(t, wrong.Load())

	// Concurrent Adds of distinct pools all land; of one pool, one wins.
	var added atomic.Int64
	for i := range 64 {
		wg.Go(func() {
			if m.Add(f.config(fmt.Sprintf("us-east-1_Many%02d", i))) == nil {
				added.Add(1)
			}
			if m.Add(f.config("us-east-1_Same")) == nil {
				added.Add(1000)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1064), added.Load())
	for i := range 64 {
		id := fmt.Sprintf("us-east-1_Many%02d", i)
		_, err := m.Verify(ctx, f.badSignatureToken(id))
		require.ErrorIs(t, err, cognito.ErrSignature, id)
	}
}

func TestMultiVerifierWithConfig(t *testing.T) {
	f := newFakeCognito(t)
	for name, mc := range map[string]cognito.MultiConfig{
		"negative ResolvedTTL":  {ResolvedTTL: -1},
		"negative NotFoundTTL":  {NotFoundTTL: -1},
		"negative MaxKeySets":   {MaxKeySets: -1},
		"huge MaxResolved":      {MaxResolved: 1_000_001},
		"huge TokenCacheSize":   {TokenCacheSize: 1_000_001},
		"huge MaxTokenBytes":    {MaxTokenBytes: 2 << 20},
		"negative token limit":  {MaxTokenBytes: -1},
		"a pool's bad config":   {Pools: []cognito.Config{{UserPoolID: "x"}}},
		"two pools, one issuer": {Pools: []cognito.Config{f.config("us-east-1_A"), f.config("us-east-1_A")}},
		"pool over the limit": {MaxTokenBytes: 1000, Pools: []cognito.Config{func() cognito.Config {
			c := f.config("us-east-1_A")
			c.MaxTokenBytes = 2000
			return c
		}()}},
	} {
		_, err := cognito.NewMultiVerifierWith(mc)
		assert.ErrorContains(t, err, "invalid config", name)
	}

	// A pool's TokenCacheSize keeps its tokens out of the shared cache.
	noCache := f.config("us-east-1_NoCache")
	noCache.TokenCacheSize = -1
	m := newMulti(t, f, func(mc *cognito.MultiConfig) { mc.Pools = []cognito.Config{noCache, f.config("us-east-1_Cached")} })
	for range 3 {
		for _, id := range []string{"us-east-1_NoCache", "us-east-1_Cached"} {
			_, err := m.Verify(ctx, f.token(id, "u"))
			require.NoError(t, err)
		}
	}
	assert.Equal(t, uint64(1), cognito.MultiCacheHits(m), "the second of the cached pool's tokens is a hit")

	// Tokens over the limit are refused before the issuer is read.
	m = newMulti(t, f, func(mc *cognito.MultiConfig) { mc.MaxTokenBytes = 100 })
	c, err := m.Verify(ctx, f.token("us-east-1_A", "u"))
	requireRejected(t, cognito.ErrTooLarge, c, err)
}

// pausingClock is a pool's clock that, once armed, stops each caller until
// the test lets it go: a test can act between two steps of a Verify.
type pausingClock struct {
	armed  atomic.Bool
	called chan struct{}
	resume chan struct{}
}

func newPausingClock() *pausingClock {
	return &pausingClock{called: make(chan struct{}), resume: make(chan struct{})}
}

func (c *pausingClock) Now() time.Time {
	if c.armed.Load() {
		c.called <- struct{}{}
		<-c.resume
	}
	return fixedNow
}

// M-03: a pool removed after its Verify found the key and checked the
// signature, before the Verify returned: the token is rejected as for an
// unknown issuer, so no Verify returns a removed pool's claims after
// Remove returned.
func TestMultiVerifierRemoveWhileDeciding(t *testing.T) {
	f := newFakeCognito(t)
	m := newMulti(t, f)
	a := "us-east-1_PoolA"
	clk := newPausingClock()
	cfg := f.config(a)
	cfg.Now = clk.Now
	cfg.TokenCacheSize = -1
	require.NoError(t, m.Add(cfg))
	require.NoError(t, m.Warm(ctx))
	clk.armed.Store(true)
	done := make(chan error, 1)
	go func() { _, err := m.Verify(ctx, f.token(a, "ann")); done <- err }()
	<-clk.called // the key lookup
	clk.resume <- struct{}{}
	<-clk.called // the claims, after the signature
	require.True(t, m.Remove(issuerOf(a)))
	clk.armed.Store(false)
	clk.resume <- struct{}{}
	requireRejected(t, cognito.ErrIssuer, nil, <-done)
}
