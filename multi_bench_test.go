package cognito_test

import (
	"runtime"
	"testing"

	"github.com/cognito-verify/cognito"
)

// BenchmarkMultiVerifierTenants is the cost of routing among 10,000
// registered pools, against a Verifier of the one pool: on a cache hit
// (where it shows most), a fresh token, and an unknown issuer.
func BenchmarkMultiVerifierTenants(b *testing.B) {
	f := newFakeCognito(b)
	id := poolID(manyPools / 2)
	token := f.token(id, "alice")
	single := func(tokenCacheSize int) *cognito.Verifier {
		cfg := f.config(id)
		cfg.HTTPClient, cfg.TokenCacheSize = f.client(), tokenCacheSize
		v, err := cognito.NewVerifier(cfg)
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	multi := func(tokenCacheSize int) *cognito.MultiVerifier {
		m := newMulti(b, f, func(mc *cognito.MultiConfig) { mc.TokenCacheSize = tokenCacheSize })
		addPools(b, m, f, manyPools)
		return m
	}
	run := func(v cognito.TokenVerifier, token string, ok bool) func(*testing.B) {
		return func(b *testing.B) {
			for range 2 { // keys, then the token cache
				_, _ = v.Verify(ctx, token)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, token); (err == nil) != ok {
					b.Fatal(err)
				}
			}
		}
	}
	cached, fresh := multi(0), multi(-1)
	b.Run("cache-hit/verifier", run(single(0), token, true))
	b.Run("cache-hit/10000-pools", run(cached, token, true))
	b.Run("fresh/verifier", run(single(-1), token, true))
	b.Run("fresh/10000-pools", run(fresh, token, true))
	b.Run("unknown-issuer/10000-pools", run(cached, f.token("us-east-1_Stranger", "x"), false))
	b.Run("cache-hit-parallel/10000-pools", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := cached.Verify(ctx, token); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkMultiVerifierMemory reports the live heap a registered pool
// costs before its first token (B/idle-pool) and what a fetched key set of
// two RSA-2048 keys adds (B/key-set).
func BenchmarkMultiVerifierMemory(b *testing.B) {
	f := newFakeCognito(b)
	configs := make([]cognito.Config, manyPools)
	for i := range configs {
		configs[i] = f.config(poolID(i))
	}
	tokens := make([]string, manyPools)
	for i := range tokens {
		tokens[i] = f.badSignatureToken(poolID(i))
	}
	var idle, keys uint64
	for b.Loop() {
		m := newMulti(b, f, func(mc *cognito.MultiConfig) { mc.MaxKeySets = manyPools })
		idle += heapGrowth(func() {
			for _, cfg := range configs {
				if err := m.Add(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
		k := heapGrowth(func() {
			for _, tok := range tokens {
				if _, err := m.Verify(ctx, tok); !errorsIs(err, cognito.ErrSignature) {
					b.Fatal(err)
				}
			}
		})
		runtime.KeepAlive(m)
		keys += k
	}
	b.ReportMetric(float64(idle)/float64(b.N*manyPools), "B/idle-pool")
	b.ReportMetric(float64(keys)/float64(b.N*manyPools), "B/key-set")
}
