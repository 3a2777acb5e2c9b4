package cognito_test

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyAccessToken(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	token := pool.AccessToken(cognitotest.WithUser("bob"), cognitotest.WithGroups("admin", "users"),
		cognitotest.WithScopes("openid", "notes/write"))

	c, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, pool.Subject("bob"), c.Subject)
	assert.Equal(t, "bob", c.Username)
	assert.Equal(t, cognito.AccessToken, c.TokenUse)
	assert.Equal(t, pool.ClientID, c.ClientID)
	assert.Equal(t, pool.Issuer(), c.Issuer)
	assert.Equal(t, []string{"admin", "users"}, c.Groups)
	assert.Equal(t, []string{"openid", "notes/write"}, c.Scopes)
	assert.True(t, c.HasGroup("admin"))
	assert.False(t, c.HasGroup("Admin"))
	assert.True(t, c.HasScope("notes/write"))
	assert.Equal(t, fixedNow.Add(time.Hour), c.ExpiresAt.UTC())
	assert.Equal(t, fixedNow, c.IssuedAt.UTC())
	assert.Equal(t, fixedNow, c.AuthTime.UTC())
	assert.NotEmpty(t, c.JTI)
	assert.NotEmpty(t, c.OriginJTI)
	assert.NotEmpty(t, c.EventID)
	assert.Equal(t, pool.Issuer(), v.Issuer())
	assert.Equal(t, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1", v.Issuer())
}

func TestVerifyIDToken(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.IDToken })
	token := pool.IDToken(cognitotest.WithUser("carol"), cognitotest.WithClaim("custom:tenant", "acme"))

	c, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, pool.Subject("carol"), c.Subject)
	assert.Equal(t, "carol", c.Username)
	assert.Equal(t, cognito.IDToken, c.TokenUse)
	assert.Equal(t, pool.ClientID, c.ClientID)
	assert.Equal(t, []string{pool.ClientID}, c.Audience)
	assert.Equal(t, "carol@example.com", c.Email)
	assert.True(t, c.EmailVerified)
	assert.Nil(t, c.Scopes)

	tenant, ok := c.StringClaim("custom:tenant")
	assert.True(t, ok)
	assert.Equal(t, "acme", tenant)
	_, ok = c.StringClaim("custom:missing")
	assert.False(t, ok)
	var attrs struct {
		Tenant string `json:"custom:tenant"`
	}
	require.NoError(t, c.Decode(&attrs))
	assert.Equal(t, "acme", attrs.Tenant)
	assert.Contains(t, string(c.Raw()), `"custom:tenant":"acme"`)
}

// T-01…T-13: framing checks, before any key lookup (so the pool sees no
// request at all).
func TestFraming(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	good := pool.AccessToken()
	h, p, s := parts(good)

	cases := []struct {
		name   string
		token  string
		reason error
	}{
		{"T-01 empty", "", cognito.ErrMalformed},
		{"T-02 one segment", "abc", cognito.ErrMalformed},
		{"T-02 two segments", h + "." + p, cognito.ErrMalformed},
		{"T-02 trailing dot", "a.", cognito.ErrMalformed},
		{"T-03 extra empty segment", good + ".", cognito.ErrMalformed},
		{"T-04 extra segment", good + ".foo", cognito.ErrMalformed},
		{"T-05 JWE", enc(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d", cognito.ErrMalformed},
		{"T-06 dots under the size limit", strings.Repeat("a.", 5000), cognito.ErrMalformed},
		{"T-06 dot flood", strings.Repeat(".", 1<<20), cognito.ErrTooLarge},
		{"T-08 JSON serialization", `{"payload":"` + p + `","signatures":[{"protected":"` + h + `","signature":"` + s + `"}]}`, cognito.ErrMalformed},
		{"T-09 padded header", h + "==." + p + "." + s, cognito.ErrMalformed},
		{"T-10 standard alphabet +", h + "." + p + "+." + s, cognito.ErrMalformed},
		{"T-10 standard alphabet /", h + "." + p + "." + s[:10] + "/" + s[11:], cognito.ErrMalformed},
		{"T-12 CRLF inside", h + "." + p[:5] + "\r\n" + p[5:] + "." + s, cognito.ErrMalformed},
		{"T-12 LF at end", good + "\n", cognito.ErrMalformed},
		{"T-13 leading space", " " + good, cognito.ErrMalformed},
		{"T-13 tab", good + "\t", cognito.ErrMalformed},
		{"T-13 NUL", h + "." + p + "\x00." + s, cognito.ErrMalformed},
		{"T-13 non-ASCII", good + "é", cognito.ErrMalformed},
		{"empty header", "." + p + "." + s, cognito.ErrMalformed},
		{"empty payload", h + ".." + s, cognito.ErrMalformed},
		{"Bearer prefix is not part of a token", "Bearer " + good, cognito.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, tc.token)
			requireRejected(t, tc.reason, c, err)
			assert.NotContains(t, err.Error(), p, "the token must not appear in errors")
		})
	}
	assert.Zero(t, pool.Requests(), "framing errors must not reach the key set")
}

func parts(token string) (h, p, s string) {
	x := strings.SplitN(token, ".", 3)
	return x[0], x[1], x[2]
}

// T-06: a dot flood costs O(1) allocations.
func TestDotFloodAllocations(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.MaxTokenBytes = 1 << 20 })
	flood := strings.Repeat(".", 1<<20)
	allocs := testing.AllocsPerRun(10, func() { _, _ = v.Verify(ctx, flood) })
	assert.LessOrEqual(t, allocs, 4.0)
}

// T-07: the size limit applies before any decoding, and is inclusive.
func TestMaxTokenBytes(t *testing.T) {
	pool := newPool(t)
	token := pool.AccessToken(cognitotest.WithClaim("custom:padding", strings.Repeat("x", 40<<10)))
	require.Greater(t, len(token), cognito.DefaultMaxTokenBytes)

	c, err := newVerifier(t, pool).Verify(ctx, token)
	requireRejected(t, cognito.ErrTooLarge, c, err)
	assert.Zero(t, pool.Requests())

	at := newVerifier(t, pool, func(c *cognito.Config) { c.MaxTokenBytes = len(token) })
	_, err = at.Verify(ctx, token)
	require.NoError(t, err)
	below := newVerifier(t, pool, func(c *cognito.Config) { c.MaxTokenBytes = len(token) - 1 })
	c, err = below.Verify(ctx, token)
	requireRejected(t, cognito.ErrTooLarge, c, err)
}

// T-11: base64url must be canonical. Go's decoder ignores the unused low
// bits of the last character; a token differing only there must not verify
// (verified-token caches and replay lists key on the string).
func TestNonCanonicalBase64(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)

	// A 256-byte signature encodes to 342 characters; the last one carries
	// four unused bits.
	good := pool.AccessToken()
	h, p, s := parts(good)
	c, err := v.Verify(ctx, h+"."+p+"."+s[:len(s)-1]+flipLowBits(s[len(s)-1]))
	requireRejected(t, cognito.ErrMalformed, c, err)

	// A header whose length is not a multiple of 3 has unused bits too.
	header := `{"kid":"` + pool.AccessKeyID() + `","alg":"RS256"}`
	for len(header)%3 == 0 {
		header = strings.Replace(header, "{", "{ ", 1)
	}
	token := pool.Sign([]byte(header), mustJSON(t, accessClaims(pool)))
	_, err = v.Verify(ctx, token)
	require.NoError(t, err)
	h, p, s = parts(token)
	c, err = v.Verify(ctx, h[:len(h)-1]+flipLowBits(h[len(h)-1])+"."+p+"."+s)
	requireRejected(t, cognito.ErrMalformed, c, err)
}

// flipLowBits changes a base64url character so that only its lowest bit
// differs, which falls in the unused bits of a final character.
func flipLowBits(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i^1])
}

// T-14, T-20…T-32, T-40…T-48: header rules. Every case is signed with the
// pool's real key, so only the header can cause the rejection, and every
// case is rejected before the key set is fetched.
func TestHeader(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	kid := pool.AccessKeyID()
	q := func(s string) string { return `"` + s + `"` }
	attackerJWK := `{"kty":"RSA","e":"AQAB","n":"` + base64.RawURLEncoding.EncodeToString(make([]byte, 256)) + `"}`

	cases := []struct {
		name   string
		header string
		reason error
	}{
		{"T-14 array", `[]`, cognito.ErrMalformed},
		{"T-14 null", `null`, cognito.ErrMalformed},
		{"T-14 string", `"x"`, cognito.ErrMalformed},
		{"T-14 number", `1`, cognito.ErrMalformed},
		{"T-14 invalid JSON", `{"alg":"RS256",`, cognito.ErrMalformed},
		{"T-14 trailing garbage", `{"alg":"RS256","kid":` + q(kid) + `}x`, cognito.ErrMalformed},
		{"T-14 invalid UTF-8", "{\"alg\":\"RS256\",\"kid\":" + q(kid) + ",\"typ\":\"\xff\"}", cognito.ErrMalformed},
		{"T-16 deep nesting", `{"alg":"RS256","kid":` + q(kid) + `,"x":` + strings.Repeat("[", 10500) + strings.Repeat("]", 10500) + `}`, cognito.ErrMalformed},
		{"T-20 none", `{"alg":"none","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-21 None", `{"alg":"None","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-21 NONE", `{"alg":"NONE","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-21 nOnE", `{"alg":"nOnE","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-21 empty", `{"alg":"","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-21 missing", `{"kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-21 null", `{"alg":null,"kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-21 none with space", `{"alg":"none ","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-22 rs256", `{"alg":"rs256","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-22 Rs256", `{"alg":"Rs256","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-22 trailing space", `{"alg":"RS256 ","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-22 NUL", `{"alg":"RS256\u0000","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-24 RS384", `{"alg":"RS384","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-24 RS512", `{"alg":"RS512","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-24 PS256", `{"alg":"PS256","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-24 ES256", `{"alg":"ES256","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-24 EdDSA", `{"alg":"EdDSA","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-24 HS256", `{"alg":"HS256","kid":` + q(kid) + `}`, cognito.ErrAlgorithm},
		{"T-26 alg number", `{"alg":256,"kid":` + q(kid) + `}`, cognito.ErrMalformed},
		{"T-26 alg array", `{"alg":["RS256"],"kid":` + q(kid) + `}`, cognito.ErrMalformed},
		{"T-27 kid missing", `{"alg":"RS256"}`, cognito.ErrKeyNotFound},
		{"T-27 kid empty", `{"alg":"RS256","kid":""}`, cognito.ErrKeyNotFound},
		{"T-27 kid null", `{"alg":"RS256","kid":null}`, cognito.ErrKeyNotFound},
		{"T-28 kid number", `{"alg":"RS256","kid":1}`, cognito.ErrMalformed},
		{"T-28 kid array", `{"alg":"RS256","kid":[]}`, cognito.ErrMalformed},
		{"T-28 kid object", `{"alg":"RS256","kid":{}}`, cognito.ErrMalformed},
		{"T-31 kid over 256 bytes", `{"alg":"RS256","kid":"` + strings.Repeat("k", 257) + `"}`, cognito.ErrMalformed},
		{"T-32 cty JWT", `{"alg":"RS256","kid":` + q(kid) + `,"cty":"JWT"}`, cognito.ErrHeader},
		{"T-32 typ odd", `{"alg":"RS256","kid":` + q(kid) + `,"typ":"at+jwt"}`, cognito.ErrHeader},
		{"T-32 typ number", `{"alg":"RS256","kid":` + q(kid) + `,"typ":1}`, cognito.ErrHeader},
		{"T-40 embedded jwk", `{"alg":"RS256","kid":` + q(kid) + `,"jwk":` + attackerJWK + `}`, cognito.ErrHeader},
		{"T-41 embedded symmetric jwk", `{"alg":"RS256","kid":` + q(kid) + `,"jwk":{"kty":"oct","k":"MTEx"}}`, cognito.ErrHeader},
		{"T-42 jku", `{"alg":"RS256","kid":` + q(kid) + `,"jku":` + q(pool.URL()+"/attacker/jwks.json") + `}`, cognito.ErrHeader},
		{"T-42 x5u", `{"alg":"RS256","kid":` + q(kid) + `,"x5u":` + q(pool.URL()+"/attacker/cert.pem") + `}`, cognito.ErrHeader},
		{"T-43 x5c", `{"alg":"RS256","kid":` + q(kid) + `,"x5c":["MIIB"]}`, cognito.ErrHeader},
		{"T-43 x5t", `{"alg":"RS256","kid":` + q(kid) + `,"x5t":"abc"}`, cognito.ErrHeader},
		{"T-44 unknown crit", `{"alg":"RS256","kid":` + q(kid) + `,"crit":["foo"],"foo":1}`, cognito.ErrHeader},
		{"T-45 crit registered", `{"alg":"RS256","kid":` + q(kid) + `,"crit":["exp"]}`, cognito.ErrHeader},
		{"T-45 crit empty", `{"alg":"RS256","kid":` + q(kid) + `,"crit":[]}`, cognito.ErrHeader},
		{"T-45 crit string", `{"alg":"RS256","kid":` + q(kid) + `,"crit":"b64"}`, cognito.ErrHeader},
		{"T-46 b64 with crit", `{"alg":"RS256","kid":` + q(kid) + `,"crit":["b64"],"b64":false}`, cognito.ErrHeader},
		{"T-46 b64 without crit", `{"alg":"RS256","kid":` + q(kid) + `,"b64":false}`, cognito.ErrHeader},
		{"T-47 zip", `{"alg":"RS256","kid":` + q(kid) + `,"zip":"DEF"}`, cognito.ErrHeader},
		{"T-48 duplicate alg, none last", `{"alg":"RS256","alg":"none","kid":` + q(kid) + `}`, cognito.ErrMalformed},
		{"T-48 duplicate alg, none first", `{"alg":"none","alg":"RS256","kid":` + q(kid) + `}`, cognito.ErrMalformed},
		{"T-48 duplicate kid", `{"alg":"RS256","kid":"other","kid":` + q(kid) + `}`, cognito.ErrMalformed},
		{"case-variant name", `{"alg":"RS256","kid":` + q(kid) + `,"ALG":"none"}`, cognito.ErrHeader},
	}
	payload := mustJSON(t, accessClaims(pool))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, pool.Sign([]byte(tc.header), payload))
			requireRejected(t, tc.reason, c, err)
		})
	}
	assert.Zero(t, pool.Requests(), "header errors must not reach the network, least of all jku/x5u")

	// Accepted header variants: typ JWT in any case, members in any order,
	// JSON whitespace (the differential test against go-jose pins this).
	for _, header := range []string{
		" {\"kid\" : " + q(kid) + ",\n\"alg\":\"RS256\"}\t",
		`{"alg":"RS256","kid":` + q(kid) + `,"typ":"JWT"}`,
		`{"typ":"jwt","kid":` + q(kid) + `,"alg":"RS256"}`,
	} {
		_, err := v.Verify(ctx, pool.Sign([]byte(header), payload))
		assert.NoError(t, err, header)
	}
}

// T-23: an HMAC token keyed with the RSA public key never reaches a MAC
// check; T-24: a PS256 token validly signed by the pool's own key is still
// refused.
func TestAlgorithmConfusion(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	payload := enc(string(mustJSON(t, accessClaims(pool))))

	header := enc(`{"alg":"HS256","kid":"` + pool.AccessKeyID() + `"}`)
	for _, secret := range [][]byte{pool.JWKS(), []byte(pool.AccessKeyID())} {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(header + "." + payload))
		c, err := v.Verify(ctx, header+"."+payload+"."+base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
		requireRejected(t, cognito.ErrAlgorithm, c, err)
	}

	_, key := pool.SigningKey(cognito.AccessToken)
	header = enc(`{"alg":"PS256","kid":"` + pool.AccessKeyID() + `"}`)
	digest := sha256.Sum256([]byte(header + "." + payload))
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], nil)
	require.NoError(t, err)
	c, err := v.Verify(ctx, header+"."+payload+"."+base64.RawURLEncoding.EncodeToString(sig))
	requireRejected(t, cognito.ErrAlgorithm, c, err)
}

// T-55…T-58, T-61: signature bytes.
func TestSignature(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	good := pool.AccessToken()
	h, p, s := parts(good)
	_, key := pool.SigningKey(cognito.AccessToken)
	n := key.N

	sigOf := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	padded := func(x *big.Int) string { return sigOf(x.FillBytes(make([]byte, 256))) }
	raw, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	flip := func(seg string, i int) string {
		b := []byte(seg)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	cases := []struct {
		name  string
		token string
	}{
		{"T-55 empty signature", h + "." + p + "."},
		{"T-56 signature bit", h + "." + p + "." + flip(s, 10)},
		{"T-56 header changed", enc(`{"alg":"RS256","typ":"JWT","kid":"`+pool.AccessKeyID()+`"}`) + "." + p + "." + s},
		{"T-56 payload bit", h + "." + flip(p, 20) + "." + s},
		{"T-57 255 bytes", h + "." + p + "." + sigOf(raw[1:])},
		{"T-57 257 bytes", h + "." + p + "." + sigOf(append([]byte{0}, raw...))},
		{"T-57 128 bytes", h + "." + p + "." + sigOf(raw[:128])},
		{"T-57 512 bytes", h + "." + p + "." + sigOf(append(raw, raw...))},
		{"T-58 zero", h + "." + p + "." + padded(big.NewInt(0))},
		{"T-58 one", h + "." + p + "." + padded(big.NewInt(1))},
		{"T-58 n-1", h + "." + p + "." + padded(new(big.Int).Sub(n, big.NewInt(1)))},
		{"T-58 n", h + "." + p + "." + padded(n)},
		{"T-58 n+1", h + "." + p + "." + sigOf(new(big.Int).Add(n, big.NewInt(1)).Bytes())},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, tc.token)
			requireRejected(t, cognito.ErrSignature, c, err)
		})
	}

	// Attacker key under a real kid.
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	forged := cognitotest.SignWith(attacker, goodHeader(t, pool), mustJSON(t, accessClaims(pool)))
	c, err := v.Verify(ctx, forged)
	requireRejected(t, cognito.ErrSignature, c, err)

	// T-61: pool B's key and kid, pool A's issuer: B's kid is not in A's
	// key set, whatever the key material.
	other := newPool(t, cognitotest.WithPoolID("us-east-1_OtherPool"))
	c, err = v.Verify(ctx, other.Sign(goodHeader(t, other), mustJSON(t, accessClaims(pool))))
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
}

// T-73: a token both expired and forged reports only the forgery.
func TestErrorPrecedence(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	expired := pool.AccessToken(cognitotest.ExpiresIn(-time.Hour))
	c, err := v.Verify(ctx, expired)
	requireRejected(t, cognito.ErrExpired, c, err)

	h, p, s := parts(expired)
	c, err = v.Verify(ctx, h+"."+p+"."+s[:20]+strings.Repeat("A", len(s)-20))
	requireRejected(t, cognito.ErrSignature, c, err)
	assert.NotErrorIs(t, err, cognito.ErrExpired)

	c, err = v.Verify(ctx, pool.AccessToken(cognitotest.ExpiresIn(-time.Hour), cognitotest.WithHeader("kid", "unknown")))
	requireRejected(t, cognito.ErrKeyNotFound, c, err)
	assert.NotErrorIs(t, err, cognito.ErrExpired)
}
