package cognito_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of ALBVerifier's token rules (catalog section 3.6, A-01 to A-07,
// and the framing, header and signature rows of section 2 adapted to the
// load balancer's token). The key cache is tested in albkeys_test.go.

// otherALBARN is a load balancer that is not the verifier's: its tokens
// are signed by the same regional key server.
const otherALBARN = "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/attacker/fedcba9876543210"

func newALB(t testing.TB, opts ...cognitotest.ALBOption) *cognitotest.ALB {
	t.Helper()
	return cognitotest.NewTestALB(t, append([]cognitotest.ALBOption{cognitotest.WithALBClock(clock)}, opts...)...)
}

func newALBVerifier(t testing.TB, alb *cognitotest.ALB, edit ...func(*cognito.ALBConfig)) *cognito.ALBVerifier {
	t.Helper()
	cfg := alb.Config()
	for _, e := range edit {
		e(&cfg)
	}
	v, err := cognito.NewALBVerifier(cfg)
	require.NoError(t, err)
	return v
}

// albClock is a clock the test moves.
type albClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *albClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *albClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func padded(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

// albSegments splits a token and decodes its header and payload.
func albSegments(t testing.TB, token string) (header, payload map[string]any, sig string) {
	t.Helper()
	segs := strings.Split(token, ".")
	require.Len(t, segs, 3)
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.URLEncoding.DecodeString(segs[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, dst))
	}
	return header, payload, segs[2]
}

// albSign signs header and payload, maps or raw JSON, with the load
// balancer's key.
func albSign(t testing.TB, alb *cognitotest.ALB, header, payload any) string {
	t.Helper()
	raw := func(v any) []byte {
		switch v := v.(type) {
		case string:
			return []byte(v)
		case []byte:
			return v
		}
		return mustJSON(t, v)
	}
	return alb.Sign(raw(header), raw(payload))
}

// albWithSignature replaces a token's signature by sig, encoded as the
// load balancer encodes it.
func albWithSignature(token string, sig []byte) string {
	return token[:strings.LastIndexByte(token, '.')+1] + padded(sig)
}

func TestALBVerify(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	identities := []map[string]string{{"providerName": "Google", "providerType": "Google", "userId": "1234"}}
	token := alb.Token(cognitotest.WithUser("alice"), cognitotest.WithClaim("identities", identities))

	c, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, newPool(t).Subject("alice"), c.Subject, "the same sub as the pool's tokens")
	assert.Equal(t, "alice", c.Username)
	assert.Equal(t, "alice@example.com", c.Email)
	assert.True(t, c.EmailVerified, `"true" as the load balancer sends it`)
	assert.Equal(t, alb.Issuer(), c.Issuer)
	assert.Equal(t, alb.ClientID, c.ClientID, "from the header's client")
	assert.True(t, fixedNow.Add(time.Hour).Equal(c.ExpiresAt), "%v", c.ExpiresAt)
	assert.Empty(t, c.TokenUse, "neither an access nor an ID token")
	assert.Empty(t, c.Groups)
	name, ok := c.StringClaim("name")
	assert.True(t, ok)
	assert.Equal(t, "alice", name)
	var raw struct {
		Identities []struct {
			ProviderName string `json:"providerName"`
		} `json:"identities"`
	}
	require.NoError(t, c.Decode(&raw))
	assert.Equal(t, "Google", raw.Identities[0].ProviderName)
	assert.Contains(t, string(c.Raw()), `"username":"alice"`)
	assert.Equal(t, 1, alb.KeyRequests())

	_, err = v.Verify(ctx, alb.Token(cognitotest.WithUser("bob")))
	require.NoError(t, err)
	assert.Equal(t, 1, alb.KeyRequests(), "the key is cached")
}

// A genuine (expired) x-amzn-oidc-data token, posted by aws-jwt-verify's
// maintainer in awslabs/aws-jwt-verify#109: its padding, header members and
// payload shape pass every check up to the signature, which fails only
// because its key is not available offline.
const realALBToken = "eyJ0eXAiOiJKV1QiLCJraWQiOiJhYmI4Mjg5Zi1lM2E0LTRhMzQtOTQ3Mi1jMjEwNWUyYjI0ODIiLCJhbGciOiJFUzI1NiIsImlzcyI6Imh0dHBzOi8vY29nbml0by1pZHAuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20vZXUtd2VzdC0xX2I5VmVRVWc2eSIsImNsaWVudCI6IjNhMzNhMDJyNWhuM29uaHR1MW1yMGRpdDIwIiwic2lnbmVyIjoiYXJuOmF3czplbGFzdGljbG9hZGJhbGFuY2luZzpldS13ZXN0LTE6MzczNTA4NTEzMzAyOmxvYWRiYWxhbmNlci9hcHAvQXdzSnd0LUFMQkFFLXFCd0Q4TzJRVGRjZC9hNGRmNDU2NDNjY2Y5OGFjIiwiZXhwIjoxNzM0OTYxNjQ0fQ==.eyJzdWIiOiI0YjViZWY5Yy1mMmI1LTQwZmYtYTQxMi00MTJjYmE5ZDA3MDIiLCJlbWFpbF92ZXJpZmllZCI6InRydWUiLCJuYW1lIjoiSm9obiBEb2UgKy89LV8iLCJlbWFpbCI6ImpvaG5kb2VAZXhhbXBsZS5jb20iLCJ1c2VybmFtZSI6IjRiNWJlZjljLWYyYjUtNDBmZi1hNDEyLTQxMmNiYTlkMDcwMiIsImV4cCI6MTczNDk2MTY0NCwiaXNzIjoiaHR0cHM6Ly9jb2duaXRvLWlkcC5ldS13ZXN0LTEuYW1hem9uYXdzLmNvbS9ldS13ZXN0LTFfYjlWZVFVZzZ5In0=.KrfibN6u7zOXUibDelkutd82MzoSvtCj38woXes0Fdo3o0ulcaBb2XAGouTxqjqWDhW8N-lSp0qpsSJfDCQgpQ=="

func realALBConfig(t *testing.T) cognito.ALBConfig {
	other := newALB(t)
	return cognito.ALBConfig{
		LoadBalancerARNs: []string{"arn:aws:elasticloadbalancing:eu-west-1:373508513302:loadbalancer/app/AwsJwt-ALBAE-qBwD8O2QTdcd/a4df45643ccf98ac"},
		UserPoolID:       "eu-west-1_b9VeQUg6y",
		ClientIDs:        []string{"3a33a02r5hn3onhtu1mr0dit20"},
		// Some P-256 key under the token's kid: not the one that signed it.
		Keys: map[string][]byte{"abb8289f-e3a4-4a34-9472-c2105e2b2482": other.Keys()[other.KeyID()]},
		Now:  func() time.Time { return time.Unix(1734961644-60, 0) },
	}
}

func TestALBRealToken(t *testing.T) {
	header, payload, sig := albSegments(t, realALBToken)
	assert.Equal(t, header["exp"], payload["exp"], "the load balancer writes exp in both")
	assert.Equal(t, header["iss"], payload["iss"])
	assert.NotContains(t, payload, "iat")
	assert.True(t, strings.HasSuffix(sig, "=="))

	cfg := realALBConfig(t)
	v, err := cognito.NewALBVerifier(cfg)
	require.NoError(t, err)
	c, err := v.Verify(ctx, realALBToken)
	requireRejected(t, cognito.ErrSignature, c, err)

	cfg.Now = func() time.Time { return time.Unix(1734961644+3600, 0) }
	v, err = cognito.NewALBVerifier(cfg)
	require.NoError(t, err)
	c, err = v.Verify(ctx, realALBToken)
	requireRejected(t, cognito.ErrSignature, c, err)
	assert.NotErrorIs(t, err, cognito.ErrExpired, "no expiry error for a token whose signature fails")

	cfg.LoadBalancerARNs = []string{otherALBARN}
	v, err = cognito.NewALBVerifier(cfg)
	require.NoError(t, err)
	c, err = v.Verify(ctx, realALBToken)
	requireRejected(t, cognito.ErrSigner, c, err)
}

// A-01 (ALBeast): a token the regional key server's key signed correctly,
// for a load balancer that is not configured, is refused before any key
// fetch.
func TestALBSignerPinned(t *testing.T) {
	alb := newALB(t)
	attacker := newALB(t, cognitotest.WithALBARN(otherALBARN))
	v := newALBVerifier(t, alb)
	region := strings.Replace(alb.ARN, "us-east-1", "us-west-2", 1)
	for name, signer := range map[string]any{
		"another load balancer":   otherALBARN,
		"same name, other region": region,
		"upper case":              strings.ToUpper(alb.ARN),
		"trailing space":          alb.ARN + " ",
		"prefix of the ARN":       alb.ARN[:len(alb.ARN)-1],
		"ARN plus a suffix":       alb.ARN + "0",
		"empty":                   "",
		"null":                    nil,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader("signer", signer)))
			requireRejected(t, cognito.ErrSigner, c, err)
		})
	}
	t.Run("missing", func(t *testing.T) {
		c, err := v.Verify(ctx, alb.Token(cognitotest.WithoutHeader("signer")))
		requireRejected(t, cognito.ErrSigner, c, err)
		assert.Contains(t, err.Error(), "signer is missing")
	})
	t.Run("an array holding the ARN", func(t *testing.T) {
		c, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader("signer", []string{alb.ARN})))
		requireRejected(t, cognito.ErrMalformed, c, err)
	})
	t.Run("another load balancer's own token", func(t *testing.T) {
		c, err := v.Verify(ctx, attacker.Token())
		requireRejected(t, cognito.ErrSigner, c, err)
	})
	assert.Zero(t, alb.KeyRequests(), "refused before any key fetch")
	assert.Zero(t, attacker.KeyRequests())

	t.Run("several configured load balancers", func(t *testing.T) {
		second := strings.Replace(alb.ARN, "test-alb", "second", 1)
		v := newALBVerifier(t, alb, func(c *cognito.ALBConfig) { c.LoadBalancerARNs = append(c.LoadBalancerARNs, second) })
		for _, signer := range []string{alb.ARN, second} {
			_, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader("signer", signer)))
			require.NoError(t, err, signer)
		}
	})
}

// a kid goes into the key URL only as a lowercase UUID; anything else
// is refused before any fetch.
func TestALBKidInjection(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	kid := alb.KeyID()
	for name, c := range map[string]struct {
		kid    any
		reason error
	}{
		"path traversal":       {"../../../etc/passwd", cognito.ErrKeyNotFound},
		"traversal, UUID long": {"../" + kid[3:], cognito.ErrKeyNotFound},
		"encoded slash":        {kid[:30] + "%2f..", cognito.ErrKeyNotFound},
		"query":                {kid[:34] + "?x", cognito.ErrKeyNotFound},
		"fragment":             {kid[:35] + "#", cognito.ErrKeyNotFound},
		"37 characters":        {kid + "0", cognito.ErrKeyNotFound},
		"35 characters":        {kid[:35], cognito.ErrKeyNotFound},
		"upper case":           {strings.ToUpper(kid), cognito.ErrKeyNotFound},
		"one upper-case digit": {kid[:35] + "A", cognito.ErrKeyNotFound},
		"without dashes":       {strings.ReplaceAll(kid, "-", ""), cognito.ErrKeyNotFound},
		"dash misplaced":       {kid[:7] + "-" + kid[7:8] + kid[9:], cognito.ErrKeyNotFound},
		"braces":               {"{" + kid + "}", cognito.ErrKeyNotFound},
		"URN":                  {"urn:uuid:" + kid, cognito.ErrKeyNotFound},
		"trailing newline":     {kid + "\n", cognito.ErrKeyNotFound},
		"leading space":        {" " + kid[1:], cognito.ErrKeyNotFound},
		"full-width digit":     {kid[:35] + "０", cognito.ErrKeyNotFound},
		"empty":                {"", cognito.ErrKeyNotFound},
		"null":                 {nil, cognito.ErrKeyNotFound},
		"number":               {1, cognito.ErrMalformed},
		"array":                {[]string{kid}, cognito.ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader("kid", c.kid)))
			requireRejected(t, c.reason, claims, err)
		})
	}
	claims, err := v.Verify(ctx, alb.Token(cognitotest.WithoutHeader("kid")))
	requireRejected(t, cognito.ErrKeyNotFound, claims, err)
	assert.Contains(t, err.Error(), "kid is missing")
	assert.Zero(t, alb.KeyRequests(), "no kid but a UUID reaches the key server")

	var paths []string
	var mu sync.Mutex
	alb.SetKeyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.RawPath+"|"+r.URL.Path)
		mu.Unlock()
		_, _ = w.Write(alb.Keys()[kid])
	}))
	_, err = v.Verify(ctx, alb.Token())
	require.NoError(t, err)
	assert.Equal(t, []string{"|/" + kid}, paths, "the URL is the configured base and the kid, nothing else")
}

// alg is exactly ES256, whatever signs the token.
func TestALBAlgorithm(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	for name, c := range map[string]struct {
		alg    any
		reason error
	}{
		"ES384":          {"ES384", cognito.ErrAlgorithm},
		"ES512":          {"ES512", cognito.ErrAlgorithm},
		"RS256":          {"RS256", cognito.ErrAlgorithm},
		"PS256":          {"PS256", cognito.ErrAlgorithm},
		"HS256":          {"HS256", cognito.ErrAlgorithm},
		"none":           {"none", cognito.ErrAlgorithm},
		"None":           {"None", cognito.ErrAlgorithm},
		"lower case":     {"es256", cognito.ErrAlgorithm},
		"trailing space": {"ES256 ", cognito.ErrAlgorithm},
		"NUL":            {"ES256\x00", cognito.ErrAlgorithm},
		"empty":          {"", cognito.ErrAlgorithm},
		"null":           {nil, cognito.ErrAlgorithm},
		"number":         {256, cognito.ErrMalformed},
		"array":          {[]string{"ES256"}, cognito.ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader("alg", c.alg)))
			requireRejected(t, c.reason, claims, err)
		})
	}
	claims, err := v.Verify(ctx, alb.Token(cognitotest.WithoutHeader("alg")))
	requireRejected(t, cognito.ErrAlgorithm, claims, err)
	assert.Contains(t, err.Error(), "alg is missing")

	t.Run("HS256 keyed with the public key's PEM", func(t *testing.T) {
		header, payload, _ := albSegments(t, alb.Token())
		header["alg"] = "HS256"
		input := padded(mustJSON(t, header)) + "." + padded(mustJSON(t, payload))
		mac := hmac.New(sha256.New, alb.Keys()[alb.KeyID()])
		mac.Write([]byte(input))
		claims, err := v.Verify(ctx, input+"."+padded(mac.Sum(nil)))
		requireRejected(t, cognito.ErrAlgorithm, claims, err)
	})
	assert.Zero(t, alb.KeyRequests())
}

// A-04 and T-55 to T-59 for ES256: the signature is r||s of exactly 64
// bytes; DER and other lengths are refused before any key fetch, and
// crypto/ecdsa refuses r or s of zero or not below the group order.
func TestALBSignatureForm(t *testing.T) {
	alb := newALB(t)
	token := alb.Token()
	_, key := alb.SigningKey()
	dot := strings.LastIndexByte(token, '.')
	sig, err := base64.URLEncoding.DecodeString(token[dot+1:])
	require.NoError(t, err)
	digest := sha256.Sum256([]byte(token[:dot]))
	n := elliptic.P256().Params().N
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	rs := func(r, s *big.Int) []byte {
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
	der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	require.NoError(t, err)
	require.True(t, ecdsa.VerifyASN1(&key.PublicKey, digest[:], der), "a valid DER signature of the same input")

	t.Run("lengths, no fetch", func(t *testing.T) {
		v := newALBVerifier(t, alb)
		for name, bad := range map[string][]byte{
			"DER":                   der,
			"empty":                 {},
			"r only":                sig[:32],
			"63 bytes":              sig[:63],
			"65 bytes":              append(append([]byte{}, sig...), 0),
			"leading zero":          append([]byte{0}, sig...),
			"128 bytes":             append(append([]byte{}, sig...), sig...),
			"P-521 size, 132 bytes": make([]byte, 132),
		} {
			c, err := v.Verify(ctx, albWithSignature(token, bad))
			requireRejected(t, cognito.ErrSignature, c, err)
			assert.Contains(t, err.Error(), "want r||s of 64", name)
		}
		c, err := v.Verify(ctx, token[:dot+1])
		requireRejected(t, cognito.ErrSignature, c, err)
		assert.Zero(t, alb.KeyRequests())
	})

	t.Run("values", func(t *testing.T) {
		v := newALBVerifier(t, alb)
		zero := new(big.Int)
		flip := func(b []byte, i int) []byte {
			b = append([]byte{}, b...)
			b[i] ^= 0x01
			return b
		}
		cases := map[string][]byte{
			"all zero (CVE-2022-21449)": make([]byte, 64),
			"r zero":                    rs(zero, s),
			"s zero":                    rs(r, zero),
			"r = n":                     rs(n, s),
			"s = n":                     rs(r, n),
			"all ones":                  bytes.Repeat([]byte{0xff}, 64),
			"r and s swapped":           rs(s, r),
			"bit flipped in r":          flip(sig, 5),
			"bit flipped in s":          flip(sig, 60),
			"last bit flipped":          flip(sig, 63),
		}
		if plus := new(big.Int).Add(r, n); plus.BitLen() <= 256 {
			cases["r + n"] = rs(plus, s)
		}
		if plus := new(big.Int).Add(s, n); plus.BitLen() <= 256 {
			cases["s + n"] = rs(r, plus)
		}
		for name, bad := range cases {
			c, err := v.Verify(ctx, albWithSignature(token, bad))
			requireRejected(t, cognito.ErrSignature, c, err)
			assert.NotContains(t, err.Error(), "want r||s", name)
		}
	})

	t.Run("header or payload changed", func(t *testing.T) {
		v := newALBVerifier(t, alb)
		header, payload, sigSeg := albSegments(t, token)
		payload["username"] = "root"
		c, err := v.Verify(ctx, padded(mustJSON(t, header))+"."+padded(mustJSON(t, payload))+"."+sigSeg)
		requireRejected(t, cognito.ErrSignature, c, err)
		// The same members in other bytes: the signature covers bytes.
		header, payload, _ = albSegments(t, token)
		spaced, err := json.MarshalIndent(header, "", " ")
		require.NoError(t, err)
		c, err = v.Verify(ctx, padded(spaced)+"."+padded(mustJSON(t, payload))+"."+sigSeg)
		requireRejected(t, cognito.ErrSignature, c, err)
	})

	t.Run("high s verifies, as in crypto/ecdsa", func(t *testing.T) {
		// ECDSA signatures are malleable: (r, n-s) is valid too. The load
		// balancer's signatures have either form, so both are accepted;
		// nothing in the verifier keys on the token's bytes.
		v := newALBVerifier(t, alb)
		c, err := v.Verify(ctx, albWithSignature(token, rs(r, new(big.Int).Sub(n, s))))
		require.NoError(t, err)
		require.NotNil(t, c)
	})
}

// A-05, T-09 to T-13 adapted: segments are base64url with exactly the
// padding a standard encoder writes.
func TestALBPadding(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)

	// A token with '-' or '_' in its signature, and padding somewhere.
	var token string
	for range 200 {
		token = alb.Token()
		if strings.ContainsAny(token[strings.LastIndexByte(token, '.'):], "-_") {
			break
		}
	}
	require.Contains(t, token, "=")
	_, err := v.Verify(ctx, token)
	require.NoError(t, err, "padded segments are the load balancer's form")

	segs := strings.Split(token, ".")
	with := func(i int, seg string) string {
		s := append([]string{}, segs...)
		s[i] = seg
		return strings.Join(s, ".")
	}
	cases := map[string]string{
		"standard alphabet in the signature": with(2, strings.NewReplacer("-", "+", "_", "/").Replace(segs[2])),
		"one '=' too many":                   with(2, segs[2]+"="),
		"padding in the middle":              with(1, "eyJ="+segs[1]),
		"leading space":                      " " + token,
		"trailing space":                     token + " ",
		"tab":                                with(1, segs[1][:4]+"\t"+segs[1][4:]),
		"CR LF inside":                       with(1, segs[1][:4]+"\r\n"+segs[1][4:]),
		"trailing LF":                        token + "\n",
		"NUL":                                with(1, segs[1][:4]+"\x00"+segs[1][4:]),
		"non-ASCII":                          token + "é",
	}
	for i, seg := range segs {
		if strings.HasSuffix(seg, "=") {
			cases["segment "+string(rune('0'+i))+" without its padding"] = with(i, strings.TrimRight(seg, "="))
			cases["segment "+string(rune('0'+i))+" with non-canonical bits"] = with(i, nonCanonical(t, seg))
		} else {
			cases["segment "+string(rune('0'+i))+" with padding it does not need"] = with(i, seg+"==")
		}
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(ctx, bad)
			requireRejected(t, cognito.ErrMalformed, c, err)
		})
	}
	t.Run("unpadded token of a strict JWT encoder", func(t *testing.T) {
		raw := strings.Join([]string{strings.TrimRight(segs[0], "="), strings.TrimRight(segs[1], "="), strings.TrimRight(segs[2], "=")}, ".")
		if raw != token {
			c, err := v.Verify(ctx, raw)
			requireRejected(t, cognito.ErrMalformed, c, err)
		}
	})
	assert.Equal(t, 1, alb.KeyRequests(), "framing is checked before any key is fetched")
}

// nonCanonical changes the unused low bits of a padded segment's last
// character: Go's lenient decoder reads the same bytes.
func nonCanonical(t *testing.T, seg string) string {
	t.Helper()
	data := strings.TrimRight(seg, "=")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, data[len(data)-1])
	changed := data[:len(data)-1] + string(alphabet[last^1]) + seg[len(data):]
	want, err := base64.URLEncoding.DecodeString(seg)
	require.NoError(t, err)
	got, err := base64.URLEncoding.DecodeString(changed)
	require.NoError(t, err)
	require.Equal(t, want, got, "only unused bits differ")
	return changed
}

// exp is required in the header and the payload and must be the
// same; the payload's iss must be the configured issuer too.
func TestALBHeaderPayloadAgreement(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	exp := fixedNow.Add(time.Hour).Unix()
	for name, c := range map[string]struct {
		opts   []cognitotest.TokenOption
		reason error
	}{
		"header exp a second later":   {[]cognitotest.TokenOption{cognitotest.WithHeader("exp", exp+1)}, cognito.ErrClaim},
		"header exp a second earlier": {[]cognitotest.TokenOption{cognitotest.WithHeader("exp", exp-1)}, cognito.ErrClaim},
		"payload exp later":           {[]cognitotest.TokenOption{cognitotest.WithClaim("exp", exp+3600)}, cognito.ErrClaim},
		"header exp missing":          {[]cognitotest.TokenOption{cognitotest.WithoutHeader("exp")}, cognito.ErrClaim},
		"header exp null":             {[]cognitotest.TokenOption{cognitotest.WithHeader("exp", nil)}, cognito.ErrClaim},
		"header exp a string":         {[]cognitotest.TokenOption{cognitotest.WithHeader("exp", "1796036400")}, cognito.ErrMalformed},
		"header exp out of range":     {[]cognitotest.TokenOption{cognitotest.WithHeader("exp", 1e300)}, cognito.ErrClaim},
		"payload exp missing":         {[]cognitotest.TokenOption{cognitotest.WithoutClaim("exp")}, cognito.ErrClaim},
		"payload exp a string":        {[]cognitotest.TokenOption{cognitotest.WithClaim("exp", "1796036400")}, cognito.ErrClaim},
		"payload iss another pool":    {[]cognitotest.TokenOption{cognitotest.WithClaim("iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")}, cognito.ErrIssuer},
		"payload iss missing":         {[]cognitotest.TokenOption{cognitotest.WithoutClaim("iss")}, cognito.ErrIssuer},
		"payload iss null":            {[]cognitotest.TokenOption{cognitotest.WithClaim("iss", nil)}, cognito.ErrIssuer},
		"both exp the same float":     {[]cognitotest.TokenOption{cognitotest.WithHeader("exp", float64(exp)+0.5), cognitotest.WithClaim("exp", float64(exp)+0.5)}, nil},
		"header exp as a float":       {[]cognitotest.TokenOption{cognitotest.WithHeader("exp", json.Number(strconv.FormatInt(exp, 10)+".0"))}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, alb.Token(c.opts...))
			requireOutcome(t, c.reason, claims, err)
		})
	}
	_, err := v.Verify(ctx, alb.Token(cognitotest.WithoutHeader("exp")))
	assert.ErrorContains(t, err, "exp is missing from the header")
	_, err = v.Verify(ctx, alb.Token(cognitotest.WithoutClaim("exp")))
	assert.ErrorContains(t, err, "exp is missing from the payload")
	_, err = v.Verify(ctx, alb.Token(cognitotest.WithHeader("exp", exp+1)))
	assert.ErrorContains(t, err, "exp in the header and in the payload differ")
}

// the header's client and iss are the configured ones, checked
// before any key is fetched.
func TestALBClientAndIssuer(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	for name, c := range map[string]struct {
		opt    cognitotest.TokenOption
		reason error
	}{
		"other client":          {cognitotest.WithHeader("client", "someoneelsesclient"), cognito.ErrClient},
		"client upper case":     {cognitotest.WithHeader("client", strings.ToUpper(alb.ClientID)), cognito.ErrClient},
		"client empty":          {cognitotest.WithHeader("client", ""), cognito.ErrClient},
		"client null":           {cognitotest.WithHeader("client", nil), cognito.ErrClient},
		"client missing":        {cognitotest.WithoutHeader("client"), cognito.ErrClient},
		"client an array":       {cognitotest.WithHeader("client", []string{alb.ClientID}), cognito.ErrMalformed},
		"iss another pool":      {cognitotest.WithHeader("iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"), cognito.ErrIssuer},
		"iss trailing slash":    {cognitotest.WithHeader("iss", alb.Issuer()+"/"), cognito.ErrIssuer},
		"iss http":              {cognitotest.WithHeader("iss", strings.Replace(alb.Issuer(), "https", "http", 1)), cognito.ErrIssuer},
		"iss upper-case pool":   {cognitotest.WithHeader("iss", strings.ToUpper(alb.Issuer())), cognito.ErrIssuer},
		"iss updated form":      {cognitotest.WithHeader("iss", strings.Replace(alb.Issuer(), "cognito-idp", "issuer-cognito-idp", 1)), cognito.ErrIssuer},
		"iss missing":           {cognitotest.WithoutHeader("iss"), cognito.ErrIssuer},
		"typ other":             {cognitotest.WithHeader("typ", "at+jwt"), cognito.ErrHeader},
		"typ a number":          {cognitotest.WithHeader("typ", 1), cognito.ErrMalformed},
		"typ lower case is JWT": {cognitotest.WithHeader("typ", "jwt"), nil},
		"typ absent":            {cognitotest.WithoutHeader("typ"), nil},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, alb.Token(c.opt))
			requireOutcome(t, c.reason, claims, err)
		})
	}

	_, err := v.Verify(ctx, alb.Token(cognitotest.WithoutHeader("iss")))
	assert.ErrorContains(t, err, "iss is missing from the header")
	_, err = v.Verify(ctx, alb.Token(cognitotest.WithoutClaim("iss")))
	assert.ErrorContains(t, err, "iss is missing from the payload")

	t.Run("SkipClientIDCheck", func(t *testing.T) {
		v := newALBVerifier(t, alb, func(c *cognito.ALBConfig) { c.ClientIDs, c.SkipClientIDCheck = nil, true })
		c, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader("client", "anyclient")))
		require.NoError(t, err)
		assert.Equal(t, "anyclient", c.ClientID)
		claims, err := v.Verify(ctx, alb.Token(cognitotest.WithoutHeader("client")))
		requireRejected(t, cognito.ErrClient, claims, err)
	})
	t.Run("Issuer instead of UserPoolID", func(t *testing.T) {
		v := newALBVerifier(t, alb, func(c *cognito.ALBConfig) { c.UserPoolID, c.Issuer = "", "https://idp.example.com" })
		tok := alb.Token(cognitotest.WithHeader("iss", "https://idp.example.com"), cognitotest.WithClaim("iss", "https://idp.example.com"))
		_, err := v.Verify(ctx, tok)
		require.NoError(t, err)
		claims, err := v.Verify(ctx, alb.Token())
		requireRejected(t, cognito.ErrIssuer, claims, err)
	})
}

// T-40 to T-48 adapted: only the load balancer's header members are
// accepted; anything that could choose a key, change what is signed or is
// not understood is refused before any fetch, including from URLs it names.
func TestALBHeaderParameters(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	var ssrf int
	var mu sync.Mutex
	target := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		ssrf++
		mu.Unlock()
	}))
	t.Cleanup(target.Close)
	for name, value := range map[string]any{
		"jwk":    map[string]string{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
		"jku":    target.URL + "/keys",
		"x5u":    target.URL + "/cert.pem",
		"x5c":    []string{"MIIB"},
		"x5t":    "AAAA",
		"crit":   []string{"exp"},
		"b64":    false,
		"cty":    "JWT",
		"zip":    "DEF",
		"url":    target.URL,
		"custom": "x",
		"Signer": otherALBARN,
		"kid ":   alb.KeyID(),
		"deep":   json.RawMessage(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)),
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader(name, value)))
			requireRejected(t, cognito.ErrHeader, claims, err)
			assert.Contains(t, err.Error(), name)
		})
	}
	mu.Lock()
	assert.Zero(t, ssrf, "no request to a URL the token names")
	mu.Unlock()

	header, payload, _ := albSegments(t, alb.Token())
	plain := string(mustJSON(t, header))
	pretty, err := json.MarshalIndent(header, "", "  ")
	require.NoError(t, err)
	for name, c := range map[string]struct {
		header string
		reason error
	}{
		"alg twice":             {`{"alg":"none",` + plain[1:], cognito.ErrMalformed},
		"signer twice":          {strings.TrimSuffix(plain, "}") + `,"signer":"` + otherALBARN + `"}`, cognito.ErrMalformed},
		"kid twice":             {strings.TrimSuffix(plain, "}") + `,"kid":"` + alb.KeyID() + `"}`, cognito.ErrMalformed},
		"array":                 {`[]`, cognito.ErrMalformed},
		"null":                  {`null`, cognito.ErrMalformed},
		"string":                {`"x"`, cognito.ErrMalformed},
		"number":                {`1`, cognito.ErrMalformed},
		"empty":                 {``, cognito.ErrMalformed},
		"unterminated":          {plain[:len(plain)-1], cognito.ErrMalformed},
		"trailing data":         {plain + `x`, cognito.ErrMalformed},
		"two objects":           {plain + plain, cognito.ErrMalformed},
		"invalid UTF-8":         {strings.Replace(plain, "JWT", "J\xffT", 1), cognito.ErrMalformed},
		"empty object":          {`{}`, cognito.ErrAlgorithm},
		"pretty-printed":        {string(pretty), nil},
		"escapes, same values":  {strings.Replace(strings.Replace(plain, `"ES256"`, `"\u0045S256"`, 1), `/app/`, `\/app\/`, 1), nil},
		"escaped control bytes": {strings.Replace(plain, `"JWT"`, `"JWT\u0000"`, 1), cognito.ErrHeader},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, albSign(t, alb, c.header, payload))
			requireOutcome(t, c.reason, claims, err)
		})
	}
	assert.Equal(t, 1, alb.KeyRequests(), "only the valid headers fetched the key")
}

// T-14 to T-16, T-49, T-62 to T-71, T-73, T-91 adapted to the payload.
func TestALBPayload(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	header, payload, _ := albSegments(t, alb.Token())
	with := func(name string, value any) map[string]any {
		p := map[string]any{}
		for k, v := range payload {
			p[k] = v
		}
		if value == nil {
			delete(p, name)
		} else {
			p[name] = value
		}
		return p
	}
	plain := string(mustJSON(t, payload))
	for name, c := range map[string]struct {
		payload any
		reason  error
	}{
		"array":                     {`[]`, cognito.ErrMalformed},
		"null":                      {`null`, cognito.ErrMalformed},
		"empty":                     {``, cognito.ErrMalformed},
		"invalid UTF-8":             {strings.Replace(plain, "alice", "al\xffce", 1), cognito.ErrMalformed},
		"duplicate sub":             {strings.TrimSuffix(plain, "}") + `,"sub":"admin"}`, cognito.ErrMalformed},
		"duplicate unknown claim":   {strings.TrimSuffix(plain, "}") + `,"name":"admin"}`, cognito.ErrMalformed},
		"deep nesting":              {strings.TrimSuffix(plain, "}") + `,"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, cognito.ErrMalformed},
		"sub missing":               {with("sub", nil), cognito.ErrSubject},
		"sub empty":                 {with("sub", ""), cognito.ErrSubject},
		"sub a number":              {with("sub", 1), cognito.ErrClaim},
		"email_verified true":       {with("email_verified", true), nil},
		"email_verified false":      {with("email_verified", "false"), nil},
		"email_verified yes":        {with("email_verified", "yes"), cognito.ErrClaim},
		"nbf in the future":         {with("nbf", fixedNow.Add(time.Minute).Unix()), cognito.ErrNotYetValid},
		"iat in the future":         {with("iat", fixedNow.Add(time.Minute).Unix()), cognito.ErrIssuedInFuture},
		"iat in the past":           {with("iat", fixedNow.Add(-time.Minute).Unix()), nil},
		"cognito:groups not a list": {with("cognito:groups", "admin"), cognito.ErrClaim},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, albSign(t, alb, header, c.payload))
			requireOutcome(t, c.reason, claims, err)
		})
	}
	c, err := v.Verify(ctx, albSign(t, alb, header, with("email_verified", "false")))
	require.NoError(t, err)
	assert.False(t, c.EmailVerified)
}

// T-64, T-69, T-73: exp against the clock, with leeway; a badly signed
// expired token reports the signature only.
func TestALBExpiry(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	lenient := newALBVerifier(t, alb, func(c *cognito.ALBConfig) { c.Leeway = 30 * time.Second })
	for name, c := range map[string]struct {
		in       time.Duration
		v        *cognito.ALBVerifier
		rejected bool
	}{
		"exp is now":       {0, v, true},
		"exp a second ago": {-time.Second, v, true},
		"exp in a second":  {time.Second, v, false},
		"leeway: 29 s ago": {-29 * time.Second, lenient, false},
		"leeway: 30 s ago": {-30 * time.Second, lenient, true},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := c.v.Verify(ctx, alb.Token(cognitotest.ExpiresIn(c.in)))
			if c.rejected {
				requireRejected(t, cognito.ErrExpired, claims, err)
			} else {
				require.NoError(t, err)
			}
		})
	}
	claims, err := v.Verify(ctx, alb.Token(cognitotest.WithHeader("exp", -1), cognitotest.WithClaim("exp", -1)))
	requireRejected(t, cognito.ErrExpired, claims, err)
	expired := alb.Token(cognitotest.ExpiresIn(-time.Hour))
	claims, err = v.Verify(ctx, albWithSignature(expired, make([]byte, 64)))
	requireRejected(t, cognito.ErrSignature, claims, err)
	assert.NotErrorIs(t, err, cognito.ErrExpired)
}

// T-01 to T-08 adapted: size and framing come first.
func TestALBFraming(t *testing.T) {
	alb := newALB(t)
	v := newALBVerifier(t, alb)
	token := alb.Token()
	header, payload, _ := albSegments(t, token)
	payload["pad"] = strings.Repeat("x", cognito.DefaultMaxTokenBytes)
	for name, c := range map[string]struct {
		token  string
		reason error
	}{
		"empty":              {"", cognito.ErrMalformed},
		"one segment":        {"abc", cognito.ErrMalformed},
		"two segments":       {"YQ==.YQ==", cognito.ErrMalformed},
		"extra segment":      {token + ".YQ==", cognito.ErrMalformed},
		"trailing dot":       {token + ".", cognito.ErrMalformed},
		"empty header":       {token[strings.IndexByte(token, '.'):], cognito.ErrMalformed},
		"JWE":                {"YQ==.YQ==.YQ==.YQ==.YQ==", cognito.ErrMalformed},
		"JSON serialization": {`{"payload":"YQ==","signatures":[]}`, cognito.ErrMalformed},
		"dot flood":          {strings.Repeat(".", 1<<20), cognito.ErrTooLarge},
		"over the size cap":  {albSign(t, alb, header, payload), cognito.ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := v.Verify(ctx, c.token)
			requireRejected(t, c.reason, claims, err)
		})
	}
	assert.Zero(t, alb.KeyRequests())
}

// The configuration is checked in NewALBVerifier; nothing is skipped
// silently at verify time.
func TestNewALBVerifierRejectsConfig(t *testing.T) {
	valid := func() cognito.ALBConfig {
		return cognito.ALBConfig{
			LoadBalancerARNs: []string{"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"},
			UserPoolID:       "eu-west-1_AbC123xyz",
			ClientIDs:        []string{"4f3kexampleappclient"},
		}
	}
	_, err := cognito.NewALBVerifier(valid())
	require.NoError(t, err)
	keys := newALB(t).Keys()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	require.NoError(t, err)
	p384PEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	arn := func(s string) func(*cognito.ALBConfig) {
		return func(c *cognito.ALBConfig) { c.LoadBalancerARNs = []string{s} }
	}
	for name, change := range map[string]func(*cognito.ALBConfig){
		"no ARNs":              func(c *cognito.ALBConfig) { c.LoadBalancerARNs = nil },
		"empty ARN":            arn(""),
		"target group ARN":     arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/50dc6c495c0c9188"),
		"listener ARN":         arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"),
		"network LB ARN":       arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188"),
		"upper-case ID":        arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50DC6C495C0C9188"),
		"short account":        arn("arn:aws:elasticloadbalancing:eu-west-1:12345678901:loadbalancer/app/web/50dc6c495c0c9188"),
		"other service":        arn("arn:aws:ec2:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"trailing newline":     arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188\n"),
		"bad region":           arn("arn:aws:elasticloadbalancing:EU-WEST-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"GovCloud region, aws": arn("arn:aws:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"China region, aws":    arn("arn:aws:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"aws-cn, no KeyURL":    arn("arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"aws-us-gov, region without a documented URL": arn("arn:aws-us-gov:elasticloadbalancing:us-gov-north-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"aws-iso, no KeyURL":                          arn("arn:aws-iso:elasticloadbalancing:us-iso-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"two regions": func(c *cognito.ALBConfig) {
			c.LoadBalancerARNs = append(c.LoadBalancerARNs, "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/web/50dc6c495c0c9188")
		},
		"ARN twice":             func(c *cognito.ALBConfig) { c.LoadBalancerARNs = append(c.LoadBalancerARNs, c.LoadBalancerARNs[0]) },
		"no issuer":             func(c *cognito.ALBConfig) { c.UserPoolID = "" },
		"pool ID and Issuer":    func(c *cognito.ALBConfig) { c.Issuer = "https://idp.example.com" },
		"bad pool ID":           func(c *cognito.ALBConfig) { c.UserPoolID = "eu-west-1_abc/../x" },
		"issuer plain http":     func(c *cognito.ALBConfig) { c.UserPoolID, c.Issuer = "", "http://idp.example.com" },
		"issuer relative":       func(c *cognito.ALBConfig) { c.UserPoolID, c.Issuer = "", "/idp" },
		"no client IDs":         func(c *cognito.ALBConfig) { c.ClientIDs = nil },
		"empty client ID":       func(c *cognito.ALBConfig) { c.ClientIDs = []string{""} },
		"client IDs and skip":   func(c *cognito.ALBConfig) { c.SkipClientIDCheck = true },
		"negative leeway":       func(c *cognito.ALBConfig) { c.Leeway = -time.Second },
		"leeway over 5 min":     func(c *cognito.ALBConfig) { c.Leeway = cognito.MaxLeeway + time.Second },
		"KeyURL plain http":     func(c *cognito.ALBConfig) { c.KeyURL = "http://keys.example.com" },
		"KeyURL with query":     func(c *cognito.ALBConfig) { c.KeyURL = "https://keys.example.com/?k=" },
		"KeyURL trailing slash": func(c *cognito.ALBConfig) { c.KeyURL = "https://keys.example.com/" },
		"Keys and KeyURL":       func(c *cognito.ALBConfig) { c.Keys, c.KeyURL = keys, "https://keys.example.com" },
		"Keys empty":            func(c *cognito.ALBConfig) { c.Keys = map[string][]byte{} },
		"Keys, kid not a UUID": func(c *cognito.ALBConfig) {
			for _, p := range keys {
				c.Keys = map[string][]byte{"key-1": p}
			}
		},
		"Keys, upper-case kid": func(c *cognito.ALBConfig) {
			for kid, p := range keys {
				c.Keys = map[string][]byte{strings.ToUpper(kid): p}
			}
		},
		"Keys, not P-256": func(c *cognito.ALBConfig) {
			c.Keys = map[string][]byte{"00000000-0000-0000-0000-000000000000": p384PEM}
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := valid()
			change(&cfg)
			v, err := cognito.NewALBVerifier(cfg)
			require.Error(t, err)
			assert.Nil(t, v)
			assert.Contains(t, err.Error(), "cognito: invalid ALB config")
			assert.NotErrorIs(t, err, cognito.ErrInvalidToken)
		})
	}
	for name, change := range map[string]func(*cognito.ALBConfig){
		"aws-cn with KeyURL": func(c *cognito.ALBConfig) {
			c.LoadBalancerARNs = []string{"arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"}
			c.KeyURL = "https://keys.example.cn"
		},
		"GovCloud West": arn("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"GovCloud East": arn("arn:aws-us-gov:elasticloadbalancing:us-gov-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
		"two load balancers": func(c *cognito.ALBConfig) {
			c.LoadBalancerARNs = append(c.LoadBalancerARNs, strings.Replace(c.LoadBalancerARNs[0], "/web/", "/api/", 1))
		},
		"Issuer, no pool":    func(c *cognito.ALBConfig) { c.UserPoolID, c.Issuer = "", "https://idp.example.com" },
		"Issuer on loopback": func(c *cognito.ALBConfig) { c.UserPoolID, c.Issuer = "", "http://127.0.0.1:9229/pool" },
		"skip client IDs":    func(c *cognito.ALBConfig) { c.ClientIDs, c.SkipClientIDCheck = nil, true },
		"fixed keys":         func(c *cognito.ALBConfig) { c.Keys = keys },
		"KeyURL on loopback": func(c *cognito.ALBConfig) { c.KeyURL = "http://127.0.0.1:8080/keys" },
		"maximum leeway":     func(c *cognito.ALBConfig) { c.Leeway = cognito.MaxLeeway },
	} {
		cfg := valid()
		change(&cfg)
		_, err := cognito.NewALBVerifier(cfg)
		assert.NoError(t, err, name)
	}
}
