package cognito_test

import (
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every limit is pinned at its exact value and one past it, so that moving
// a bound by one (> for >=) fails a test.

// publicJWK is the JWK of pub under kid, as Cognito publishes it.
func publicJWK(kid string, pub *rsa.PublicKey) map[string]string {
	return map[string]string{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "e": "AQAB",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
	}
}

// jwksWithKids publishes the pool's access key under each of kids.
func jwksWithKids(t testing.TB, pool *cognitotest.Pool, kids ...string) []byte {
	_, key := pool.SigningKey(cognito.AccessToken)
	var keys []map[string]string
	for _, kid := range kids {
		keys = append(keys, publicJWK(kid, &key.PublicKey))
	}
	return mustJSON(t, map[string]any{"keys": keys})
}

// fixedKeysVerifier verifies the pool's access tokens against jwks, with no
// network.
func fixedKeysVerifier(pool *cognitotest.Pool, jwks []byte) (*cognito.Verifier, error) {
	cfg := pool.Config()
	cfg.JWKSURL, cfg.HTTPClient, cfg.JWKS = "", nil, jwks
	return cognito.NewVerifier(cfg)
}

// signedWithKid is an access token of the pool, signed by its access key,
// whose header names kid.
func signedWithKid(t testing.TB, pool *cognitotest.Pool, kid string) string {
	_, key := pool.SigningKey(cognito.AccessToken)
	return cognitotest.SignWith(key, mustJSON(t, map[string]string{"alg": "RS256", "kid": kid}), mustJSON(t, accessClaims(pool)))
}

// T-31: a kid of 256 bytes is used, in a token header and in a JWK; one of
// 257 is refused in both places.
func TestKidLengthLimit(t *testing.T) {
	pool := newPool(t)
	kid256, kid257 := strings.Repeat("k", 256), strings.Repeat("k", 257)

	v, err := fixedKeysVerifier(pool, jwksWithKids(t, pool, kid256, "short"))
	require.NoError(t, err)
	c, err := v.Verify(ctx, signedWithKid(t, pool, kid256))
	require.NoError(t, err)
	assert.Equal(t, pool.Subject("alice"), c.Subject)
	c, err = v.Verify(ctx, signedWithKid(t, pool, kid257))
	requireRejected(t, cognito.ErrMalformed, c, err)
	assert.ErrorContains(t, err, "kid longer than 256 bytes")

	// A JWK's kid: 257 bytes make the key unusable.
	_, err = fixedKeysVerifier(pool, jwksWithKids(t, pool, kid257))
	require.ErrorContains(t, err, "kid longer than 256 bytes")
	_, err = fixedKeysVerifier(pool, jwksWithKids(t, pool, kid256))
	require.NoError(t, err)
}

// K-30: a key set of 100 keys is accepted, 101 refused.
func TestJWKSKeyCountLimit(t *testing.T) {
	pool := newPool(t)
	kids := make([]string, 101)
	for i := range kids {
		kids[i] = fmt.Sprintf("kid-%03d", i)
	}
	v, err := fixedKeysVerifier(pool, jwksWithKids(t, pool, kids[:100]...))
	require.NoError(t, err)
	_, err = v.Verify(ctx, signedWithKid(t, pool, kids[99]))
	require.NoError(t, err, "the last key is usable")

	_, err = fixedKeysVerifier(pool, jwksWithKids(t, pool, kids...))
	require.ErrorContains(t, err, "101 keys, more than 100")
}

// K-31: a JWKS response of exactly 1 MiB is read whole; one byte more is
// refused. The padding is in front, so a body cut short is not valid JSON.
func TestJWKSBodyLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		ok   bool
	}{
		{"1 MiB", 1 << 20, true},
		{"1 MiB + 1", 1<<20 + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := newPool(t)
			keys := pool.JWKS()
			body := append([]byte(strings.Repeat(" ", tc.size-len(keys))), keys...)
			require.Len(t, body, tc.size)
			pool.SetJWKSHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
			c, err := newVerifier(t, pool).Verify(ctx, pool.AccessToken())
			if tc.ok {
				require.NoError(t, err)
				return
			}
			requireUnavailable(t, c, err)
			assert.ErrorContains(t, err, "JWKS larger than 1048576 bytes")
		})
	}
}

// T-68: time claims must stay below 1e11 seconds in magnitude, on the
// integer fast path and the float path alike.
func TestNumericDateLimits(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	head := `{"sub":"s","iss":"` + pool.Issuer() + `","token_use":"access","client_id":"` + pool.ClientID + `",`
	exp := fmt.Sprint(fixedNow.Add(time.Hour).Unix())
	cases := []struct {
		name   string
		claims string
		reason error
		check  func(*testing.T, *cognito.Claims)
	}{
		{"exp just below 1e11", `"exp":99999999999`, nil, func(t *testing.T, c *cognito.Claims) {
			assert.Equal(t, int64(99999999999), c.ExpiresAt.Unix())
		}},
		{"exp just below 1e11, fraction", `"exp":99999999999.5`, nil, func(t *testing.T, c *cognito.Claims) {
			assert.Equal(t, time.Unix(99999999999, 5e8), c.ExpiresAt)
		}},
		{"exp 1e11", `"exp":1e11`, cognito.ErrClaim, nil},
		{"exp 1e11 in digits", `"exp":100000000000`, cognito.ErrClaim, nil},
		{"exp 1e11 as a float", `"exp":100000000000.0`, cognito.ErrClaim, nil},
		{"exp -1e11", `"exp":-1e11`, cognito.ErrClaim, nil},
		{"exp -1e11 in digits", `"exp":-100000000000`, cognito.ErrClaim, nil},
		{"exp just above -1e11 is a date, long past", `"exp":-99999999999`, cognito.ErrExpired, nil},
		{"nbf just above -1e11", `"exp":` + exp + `,"nbf":-99999999999`, nil, func(t *testing.T, c *cognito.Claims) {
			assert.Equal(t, int64(-99999999999), c.NotBefore.Unix())
		}},
		{"nbf -1e11", `"exp":` + exp + `,"nbf":-100000000000`, cognito.ErrClaim, nil},
		{"iat 1e11", `"exp":` + exp + `,"iat":1e11`, cognito.ErrClaim, nil},
		{"auth_time just below 1e11", `"exp":` + exp + `,"auth_time":99999999999`, nil, func(t *testing.T, c *cognito.Claims) {
			assert.Equal(t, int64(99999999999), c.AuthTime.Unix())
		}},
		{"auth_time 1e11", `"exp":` + exp + `,"auth_time":100000000000`, cognito.ErrClaim, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, signClaims(t, pool, head+tc.claims+`}`))
			requireOutcome(t, tc.reason, c, err)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// K-45: every numeric Config limit accepts its maximum and refuses one more.
func TestConfigLimits(t *testing.T) {
	cases := []struct {
		name string
		set  func(*cognito.Config, int)
		max  int
		unit int
	}{
		{"TokenCacheSize", func(c *cognito.Config, n int) { c.TokenCacheSize = n }, 1_000_000, 1},
		{"MaxTokenBytes", func(c *cognito.Config, n int) { c.MaxTokenBytes = n }, 1 << 20, 1},
		{"Leeway", func(c *cognito.Config, n int) { c.Leeway = time.Duration(n) }, int(cognito.MaxLeeway), 1},
		{"ClockSkew", func(c *cognito.Config, n int) { c.ClockSkew = time.Duration(n) }, int(cognito.MaxLeeway), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.set(&cfg, tc.max)
			_, err := cognito.NewVerifier(cfg)
			require.NoError(t, err)
			tc.set(&cfg, tc.max+tc.unit)
			_, err = cognito.NewVerifier(cfg)
			require.ErrorContains(t, err, tc.name)
		})
	}
}

// T-07 for several pools: MultiVerifier's size check is inclusive too.
func TestMultiVerifierMaxTokenBytes(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken()
	for _, tc := range []struct {
		limit  int
		reason error
	}{
		{len(token), nil},
		{len(token) - 1, cognito.ErrTooLarge},
	} {
		cfg := pool.Config()
		cfg.MaxTokenBytes = tc.limit
		m, err := cognito.NewMultiVerifier(cfg)
		require.NoError(t, err)
		c, err := m.Verify(ctx, token)
		requireOutcome(t, tc.reason, c, err)
	}
}

// A verified-token cache with several slots per shard evicts again and
// again without failing, stays bounded, and keeps its newest entries.
func TestTokenCacheManyEvictions(t *testing.T) {
	pool := newPool(t)
	const size = 3 * 16 // three slots per shard
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = size })
	tokens := make([]string, 4*size) // about a dozen evictions per shard
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
	assert.LessOrEqual(t, cognito.CacheHits(v), uint64(size), "at most the cache's size")
	hits := cognito.CacheHits(v)
	_, err := v.Verify(ctx, tokens[len(tokens)-1])
	require.NoError(t, err)
	assert.Equal(t, hits+1, cognito.CacheHits(v), "the newest entry is still there")
}

// A method ARN of exactly MaxMethodARNBytes parses, and For builds one; a
// byte more is refused by both.
func TestMethodARNLengthLimit(t *testing.T) {
	const prefix = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/"
	fill := strings.Repeat("a", cognito.MaxMethodARNBytes-len(prefix))

	a, err := cognito.ParseMethodARN(prefix + fill)
	require.NoError(t, err)
	assert.Len(t, a.String(), cognito.MaxMethodARNBytes)
	_, err = cognito.ParseMethodARN(prefix + fill + "a")
	require.ErrorIs(t, err, cognito.ErrMethodARN)

	b, err := a.For("GET", fill)
	require.NoError(t, err)
	assert.Len(t, b.String(), cognito.MaxMethodARNBytes)
	_, err = a.For("GET", fill+"a")
	require.ErrorIs(t, err, cognito.ErrMethodARN)
	assert.ErrorContains(t, err, "1601 bytes")
}

// K-50: KeyRefreshInterval must be shorter than MaxKeyAge: equal is
// refused, a nanosecond shorter accepted.
func TestKeyRefreshShorterThanMaxKeyAge(t *testing.T) {
	for _, tc := range []struct {
		refresh, maxAge time.Duration
		ok              bool
	}{
		{2 * time.Hour, 2 * time.Hour, false},
		{2*time.Hour - time.Nanosecond, 2 * time.Hour, true},
		{cognito.DefaultMaxKeyAge, 0, false},
		{cognito.DefaultMaxKeyAge - time.Nanosecond, 0, true},
		{0, cognito.DefaultKeyRefreshInterval, false},
		{time.Hour, -1, true}, // keys never expire
	} {
		cfg := validConfig()
		cfg.KeyRefreshInterval, cfg.MaxKeyAge = tc.refresh, tc.maxAge
		_, err := cognito.NewVerifier(cfg)
		if tc.ok {
			assert.NoError(t, err, "%v, %v", tc.refresh, tc.maxAge)
		} else {
			assert.ErrorContains(t, err, "must be positive and shorter than MaxKeyAge", "%v, %v", tc.refresh, tc.maxAge)
		}
	}
}
