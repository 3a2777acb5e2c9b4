package cognito_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const manyPools = 10_000

func poolID(i int) string { return fmt.Sprintf("us-east-1_Tenant%05d", i) }

// addPools registers n pools of f in m.
func addPools(t testing.TB, m *cognito.MultiVerifier, f *fakeCognito, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, m.Add(f.config(poolID(i))))
	}
}

// 10,000 registered pools, each verifying one token: keys are fetched
// lazily, one set per pool, and no more than MaxKeySets are ever held; a
// pool whose keys were dropped fetches them again on its next token. The
// tokens of the sweep carry a bad signature, which is checked after the
// key lookup (and its fetch), so that the test does not spend 10,000 RSA
// signatures; valid tokens follow for a sample of evicted pools.
func TestMultiVerifierKeySetBound(t *testing.T) {
	const bound = 100
	f := newFakeCognito(t)
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{MaxKeySets: bound, HTTPClient: f.client()})
	require.NoError(t, err)
	addPools(t, m, f, manyPools)
	assert.Zero(t, f.total(), "registration fetches nothing")

	for i := range manyPools {
		c, err := m.Verify(ctx, f.badSignatureToken(poolID(i)))
		requireRejected(t, cognito.ErrSignature, c, err)
		require.LessOrEqual(t, cognito.KeySetsTracked(m), bound, "after pool %d", i)
		if i%500 == 0 {
			require.LessOrEqual(t, cognito.KeySetsHeld(m), bound, "after pool %d", i)
		}
	}
	assert.Equal(t, manyPools, f.total(), "one fetch per pool")
	assert.Equal(t, bound, cognito.KeySetsHeld(m))

	// The first pools were evicted long ago: a valid token fetches again
	// and verifies; the most recent ones still hold their keys.
	for i := range 5 {
		id := poolID(i)
		c, err := m.Verify(ctx, f.token(id, "alice"))
		require.NoError(t, err)
		assert.Equal(t, issuerOf(id), c.Issuer)
		assert.Equal(t, 2, f.count(id))
	}
	last := poolID(manyPools - 1)
	_, err = m.Verify(ctx, f.token(last, "alice"))
	require.NoError(t, err)
	assert.Equal(t, 1, f.count(last), "still cached")
	assert.LessOrEqual(t, cognito.KeySetsHeld(m), bound)
}

// A used pool keeps its keys while unused ones go: the bound evicts the
// least recently used (CLOCK), not the oldest.
func TestMultiVerifierKeySetBoundKeepsHotPools(t *testing.T) {
	f := newFakeCognito(t)
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{MaxKeySets: 3, HTTPClient: f.client()})
	require.NoError(t, err)
	addPools(t, m, f, 50)
	hot := f.badSignatureToken(poolID(0))
	for i := 1; i < 50; i++ {
		_, err := m.Verify(ctx, hot)
		require.ErrorIs(t, err, cognito.ErrSignature)
		_, err = m.Verify(ctx, f.badSignatureToken(poolID(i)))
		require.ErrorIs(t, err, cognito.ErrSignature)
	}
	assert.Equal(t, 1, f.count(poolID(0)), "the hot pool was never evicted")
	assert.Equal(t, 3, cognito.KeySetsHeld(m))
}

// A registered pool that has not fetched keys costs at most 2 KiB: no
// token cache of its own, a shared HTTP client, lazily fetched keys.
func TestMultiVerifierIdlePoolMemory(t *testing.T) {
	f := newFakeCognito(t)
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{})
	require.NoError(t, err)
	configs := make([]cognito.Config, manyPools)
	for i := range configs {
		configs[i] = f.config(poolID(i))
	}
	perPool := heapGrowth(func() {
		for _, cfg := range configs {
			require.NoError(t, m.Add(cfg))
		}
	}) / manyPools
	t.Logf("%d bytes per registered idle pool", perPool)
	assert.LessOrEqual(t, perPool, uint64(2048))
	runtime.KeepAlive(m)
	runtime.KeepAlive(configs)
}

// heapGrowth returns how much live heap do leaves behind.
func heapGrowth(do func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	do()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

// Routing among 10,000 pools allocates nothing on a cache hit: a
// MultiVerifier hit costs the allocations of a Verifier hit (the caller's
// copy of the claims).
func TestMultiVerifierCacheHitAllocs(t *testing.T) {
	f := newFakeCognito(t)
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{HTTPClient: f.client()})
	require.NoError(t, err)
	addPools(t, m, f, manyPools)
	id := poolID(manyPools / 2)
	token := f.token(id, "alice")
	for range 2 { // the first fetches keys, the second fills the cache
		_, err := m.Verify(ctx, token)
		require.NoError(t, err)
	}
	cfg := f.config(id)
	cfg.HTTPClient = f.client()
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	_, err = v.Verify(ctx, token)
	require.NoError(t, err)

	hits := cognito.MultiCacheHits(m)
	multi := testing.AllocsPerRun(100, func() { _, _ = m.Verify(ctx, token) })
	single := testing.AllocsPerRun(100, func() { _, _ = v.Verify(ctx, token) })
	assert.Equal(t, single, multi)
	assert.Equal(t, hits+101, cognito.MultiCacheHits(m), "every call was a hit")
}
