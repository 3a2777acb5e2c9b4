package cognito_test

import (
	"errors"
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

// Rules that mutation testing (scripts/mutation.sh) found unpinned: each
// test here fails on at least one mutant that every other test let live.

// T-69: a negative date is in the past, and keeps its sign. Dropping the
// sign would turn exp -1800000000 (1912) into 1800000000 (2027).
func TestNegativeDates(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	cases := []struct {
		name    string
		changes map[string]any
		reason  error
		check   func(*testing.T, *cognito.Claims)
	}{
		{"exp -1800000000", map[string]any{"exp": -1800000000}, cognito.ErrExpired, nil},
		{"exp -1800000000.5", map[string]any{"exp": -1800000000.5}, cognito.ErrExpired, nil},
		{"nbf -1800000000", map[string]any{"nbf": -1800000000}, nil, func(t *testing.T, c *cognito.Claims) {
			assert.Equal(t, time.Unix(-1800000000, 0), c.NotBefore)
		}},
		{"iat -1", map[string]any{"iat": -1}, nil, func(t *testing.T, c *cognito.Claims) {
			assert.Equal(t, time.Unix(-1, 0), c.IssuedAt)
		}},
		{"auth_time -1800000000", map[string]any{"auth_time": -1800000000}, nil, func(t *testing.T, c *cognito.Claims) {
			assert.Equal(t, time.Unix(-1800000000, 0), c.AuthTime)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, signClaims(t, pool, edit(pool, tc.changes)))
			requireOutcome(t, tc.reason, c, err)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// Claims documents nbf, iat and auth_time as zero when absent: absent or
// null, they stay the zero time (not the epoch), and a present one is the
// token's value, on a fresh verification and on a cache hit.
func TestAbsentDatesStayZero(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	at := fixedNow.Add(-time.Minute)
	cases := []struct {
		name                    string
		changes                 map[string]any
		notBefore, issued, auth time.Time
	}{
		{"absent", map[string]any{"iat": nil, "auth_time": nil}, time.Time{}, time.Time{}, time.Time{}},
		{"null", map[string]any{"nbf": jsonNull, "iat": jsonNull, "auth_time": jsonNull}, time.Time{}, time.Time{}, time.Time{}},
		{"present", map[string]any{"nbf": at.Unix(), "iat": at.Unix() + 1, "auth_time": at.Unix() + 2}, at, at.Add(time.Second), at.Add(2 * time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := signClaims(t, pool, edit(pool, tc.changes))
			for range 2 { // the second is a cache hit
				c, err := v.Verify(ctx, token)
				require.NoError(t, err)
				assert.True(t, tc.notBefore.Equal(c.NotBefore), "NotBefore %v", c.NotBefore)
				assert.True(t, tc.issued.Equal(c.IssuedAt), "IssuedAt %v", c.IssuedAt)
				assert.True(t, tc.auth.Equal(c.AuthTime), "AuthTime %v", c.AuthTime)
				assert.Equal(t, tc.notBefore.IsZero(), c.NotBefore.IsZero())
				assert.False(t, c.ExpiresAt.IsZero())
			}
		})
	}
}

// T-32 on the full header parser: a header the fast path declines (an
// escape, a null) follows the same typ rule as one it takes.
func TestHeaderTypFullParser(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	kid := pool.AccessKeyID()
	// \u0052 is R: the same alg, written so that only the full parser reads it.
	const escapedAlg = `"alg":"\u0052S256"`
	cases := []struct {
		name   string
		header string
		reason error
	}{
		{"escaped alg, no typ", `{` + escapedAlg + `,"kid":"` + kid + `"}`, nil},
		{"escaped alg, typ JWT", `{` + escapedAlg + `,"kid":"` + kid + `","typ":"JWT"}`, nil},
		{"escaped alg, typ jwt", `{` + escapedAlg + `,"kid":"` + kid + `","typ":"jwt"}`, nil},
		{"escaped typ JWT", `{"alg":"RS256","kid":"` + kid + `","typ":"\u004aWT"}`, nil},
		{"typ null is absent", `{"alg":"RS256","kid":"` + kid + `","typ":null}`, nil},
		{"escaped alg, typ at+jwt", `{` + escapedAlg + `,"kid":"` + kid + `","typ":"at+jwt"}`, cognito.ErrHeader},
		{"escaped alg, typ empty", `{` + escapedAlg + `,"kid":"` + kid + `","typ":""}`, cognito.ErrHeader},
		{"escaped typ other", `{"alg":"RS256","kid":"` + kid + `","typ":"\u004aWS"}`, cognito.ErrHeader},
		{"typ array", `{"alg":"RS256","kid":"` + kid + `","typ":["JWT"]}`, cognito.ErrHeader},
		{"typ object", `{"alg":"RS256","kid":"` + kid + `","typ":{}}`, cognito.ErrHeader},
		{"escaped alg, kid null", `{` + escapedAlg + `,"kid":null}`, cognito.ErrKeyNotFound},
		{"escaped alg, kid over 256 bytes", `{` + escapedAlg + `,"kid":"` + strings.Repeat("k", 257) + `"}`, cognito.ErrMalformed},
		{"escaped alg none", `{"alg":"\u006eone","kid":"` + kid + `"}`, cognito.ErrAlgorithm},
		{"fast path, typ empty", `{"alg":"RS256","kid":"` + kid + `","typ":""}`, cognito.ErrHeader},
	}
	payload := mustJSON(t, accessClaims(pool))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, pool.Sign([]byte(tc.header), payload))
			requireOutcome(t, tc.reason, c, err)
		})
	}
}

// T-13, T-14: a truncated header is malformed wherever it is cut, and CR
// or LF anywhere in a token (first byte included) is refused although Go's
// base64 decoder would skip it.
func TestTruncatedHeaderAndLineBreaks(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	header := `{"alg":"RS256","kid":"` + pool.AccessKeyID() + `","typ":"JWT"}`
	payload := mustJSON(t, accessClaims(pool))
	for i := range len(header) {
		for _, cut := range []string{header[:i], header[:i] + " "} {
			c, err := v.Verify(ctx, pool.Sign([]byte(cut), payload))
			requireRejected(t, cognito.ErrMalformed, c, err)
		}
	}

	good := pool.Sign([]byte(header), payload)
	_, err := v.Verify(ctx, good)
	require.NoError(t, err)
	h, p, s := parts(good)
	for name, token := range map[string]string{
		"CR first":      "\r" + good,
		"LF first":      "\n" + good,
		"CRLF first":    "\r\n" + good,
		"LF in payload": h + "." + p[:1] + "\n" + p[1:] + "." + s,
		"CR last":       good + "\r",
	} {
		c, err := v.Verify(ctx, token)
		requireRejected(t, cognito.ErrMalformed, c, err)
		assert.ErrorContains(t, err, "whitespace", name)
	}
	assert.Equal(t, 1, pool.JWKSRequests())
}

// Attacker-chosen names in errors are cut at 64 bytes: one of 64 appears
// whole, one of 65 is cut to 64 and marked.
func TestErrorDetailsTruncated(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	m, err := cognito.NewMultiVerifier(pool.Config())
	require.NoError(t, err)
	payload := mustJSON(t, accessClaims(pool))
	for _, n := range []int{1, 63, 64, 65, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			name := strings.Repeat("x", n)
			want := `"` + name + `"`
			if n > 64 {
				want = `"` + name[:64] + `…"`
			}

			header := `{"alg":"RS256","kid":"` + pool.AccessKeyID() + `","` + name + `":1}`
			c, err := v.Verify(ctx, pool.Sign([]byte(header), payload))
			requireRejected(t, cognito.ErrHeader, c, err)
			assert.Contains(t, err.Error(), want)

			if n <= 256 { // longer kids are refused before any lookup
				c, err = v.Verify(ctx, signedWithKid(t, pool, name))
				requireRejected(t, cognito.ErrKeyNotFound, c, err)
				assert.Contains(t, err.Error(), want, "kid")
			}

			c, err = m.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("iss", name)))
			requireRejected(t, cognito.ErrIssuer, c, err)
			assert.Contains(t, err.Error(), want, "iss")
		})
	}
}

// Issuer and JWKSURL over plain http are refused on every host that is not
// loopback, IP literals included, unless AllowHTTP is set.
func TestHTTPOnlyOnLoopback(t *testing.T) {
	cases := []struct {
		host     string
		loopback bool
	}{
		{"localhost:9229", true},
		{"127.0.0.1:9229", true},
		{"127.0.0.1", true},
		{"127.8.9.10:4566", true},
		{"[::1]:9229", true},
		{"10.0.0.1:9229", false},
		{"192.168.1.10", false},
		{"169.254.169.254", false},
		{"0.0.0.0:9229", false},
		{"[::]:9229", false},
		{"[fe80::1]:9229", false},
		{"[2001:db8::1]", false},
		{"127.0.0.1.example.com", false},
		{"localhost.example.com:9229", false},
		{"cognito-local:9229", false},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			base := "http://" + tc.host + "/local_5Zt3Yqma"
			for name, set := range map[string]func(*cognito.Config){
				"Issuer":  func(c *cognito.Config) { c.Issuer, c.UserPoolID = base, "local_5Zt3Yqma" },
				"JWKSURL": func(c *cognito.Config) { c.JWKSURL = base + "/.well-known/jwks.json" },
			} {
				cfg := validConfig()
				set(&cfg)
				_, err := cognito.NewVerifier(cfg)
				if tc.loopback {
					assert.NoError(t, err, name)
				} else {
					assert.ErrorContains(t, err, "neither https nor http on a loopback host", name)
				}
				cfg.AllowHTTP = true
				_, err = cognito.NewVerifier(cfg)
				assert.NoError(t, err, name+" with AllowHTTP")
			}
		})
	}
}

// SkipClientIDCheck accepts a token that names no client at all (an access
// token without client_id, an ID token with no or an empty aud), with an
// empty ClientID; without it each is refused.
func TestSkipClientIDCheckWithoutClient(t *testing.T) {
	pool := newPool(t)
	cases := []struct {
		name   string
		use    cognito.TokenUse
		opt    cognitotest.TokenOption
		client string
	}{
		{"access, client_id missing", cognito.AccessToken, cognitotest.WithoutClaim("client_id"), ""},
		{"access, client_id null", cognito.AccessToken, cognitotest.WithClaim("client_id", nil), ""},
		{"access, client_id empty", cognito.AccessToken, cognitotest.WithClaim("client_id", ""), ""},
		{"access, other client", cognito.AccessToken, cognitotest.WithClaim("client_id", "other"), "other"},
		{"ID, aud missing", cognito.IDToken, cognitotest.WithoutClaim("aud"), ""},
		{"ID, aud null", cognito.IDToken, cognitotest.WithClaim("aud", nil), ""},
		{"ID, aud empty array", cognito.IDToken, cognitotest.WithClaim("aud", []string{}), ""},
		{"ID, aud of two", cognito.IDToken, cognitotest.WithClaim("aud", []string{"first", "second"}), "first"},
		{"ID, other aud", cognito.IDToken, cognitotest.WithClaim("aud", "other"), "other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mint := pool.AccessToken
			if tc.use == cognito.IDToken {
				mint = pool.IDToken
			}
			token := mint(tc.opt)
			skip := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse, c.ClientIDs, c.SkipClientIDCheck = tc.use, nil, true })
			c, err := skip.Verify(ctx, token)
			require.NoError(t, err)
			assert.Equal(t, tc.client, c.ClientID)

			strict := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = tc.use })
			c, err = strict.Verify(ctx, token)
			requireRejected(t, cognito.ErrClient, c, err)
		})
	}
}

// MultiVerifier.Warm warms every pool, and reports each pool that failed,
// as ErrKeysUnavailable.
func TestMultiVerifierWarmErrors(t *testing.T) {
	cases := []struct {
		name   string
		broken []bool
	}{
		{"all up", []bool{false, false, false}},
		{"one down", []bool{false, true, false}},
		{"first down", []bool{true, false, false}},
		{"all down", []bool{true, true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pools []*cognitotest.Pool
			var cfgs []cognito.Config
			for i, broken := range tc.broken {
				pool := newPool(t, cognitotest.WithPoolID(fmt.Sprintf("us-east-1_Warm%d", i)))
				if broken {
					pool.FailJWKS(http.StatusServiceUnavailable)
				}
				pools, cfgs = append(pools, pool), append(cfgs, pool.Config())
			}
			m, err := cognito.NewMultiVerifier(cfgs...)
			require.NoError(t, err)
			err = m.Warm(ctx)
			failed := 0
			for i, pool := range pools {
				assert.Equal(t, 1, pool.JWKSRequests(), "every pool is warmed, even after a failure")
				if tc.broken[i] {
					failed++
					require.Error(t, err)
					assert.Contains(t, err.Error(), pool.JWKSURL())
				} else if err != nil {
					assert.NotContains(t, err.Error(), pool.JWKSURL())
				}
			}
			if failed == 0 {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, cognito.ErrKeysUnavailable)
			require.NotErrorIs(t, err, cognito.ErrInvalidToken)
			var ke *cognito.KeysError
			require.True(t, errors.As(err, &ke))
			joined, ok := err.(interface{ Unwrap() []error })
			require.True(t, ok)
			assert.Len(t, joined.Unwrap(), failed)

			// Warm pools verify without another fetch.
			for i, pool := range pools {
				if !tc.broken[i] {
					_, err := m.Verify(ctx, pool.AccessToken())
					require.NoError(t, err)
					assert.Equal(t, 1, pool.JWKSRequests())
				}
			}
		})
	}
}

// A policy resource holds letters, digits, - _ . ~ * and %XX escapes
// between slashes, and a trailing slash; the characters next to each range
// (in ASCII order) are refused.
func TestMethodARNResourceCharacters(t *testing.T) {
	a, err := cognito.ParseMethodARN("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes")
	require.NoError(t, err)
	for _, ok := range []string{
		"az", "AZ", "09", "a-b_c.d~e*", "notes/", "notes/1/", "/",
		"%00", "%09", "%99", "%af", "%AF", "%aF", "%0a", "x%2Fy",
	} {
		b, err := a.For("GET", ok)
		if assert.NoError(t, err, ok) {
			assert.Equal(t, "/"+strings.TrimPrefix(ok, "/"), b.Resource)
		}
	}
	for _, bad := range []string{
		"`", "{", "@", "[", ":", "/x//y", "notes//",
		"%/0", "%:0", "%@0", "%G0", "%`0", "%g0", "%0/", "%0:", "%0@", "%0G", "%0`", "%0g", "%", "%0",
	} {
		_, err := a.For("GET", bad)
		assert.ErrorIs(t, err, cognito.ErrMethodARN, bad)
	}
}

// A cache hit costs one allocation (the caller's Claims) while its lists
// (aud, groups and scopes together) fit the Claims' inline store of 8, and
// one more past it.
func TestTokenCacheHitAllocations(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	groups := func(n int) cognitotest.TokenOption {
		g := make([]string, n)
		for i := range g {
			g[i] = fmt.Sprint("g", i)
		}
		return cognitotest.WithGroups(g...)
	}
	cases := []struct {
		name   string
		opts   []cognitotest.TokenOption
		allocs float64
	}{
		{"no lists", []cognitotest.TokenOption{cognitotest.WithoutClaim("scope")}, 1},
		{"one scope", nil, 1},
		{"7 groups and a scope", []cognitotest.TokenOption{groups(7)}, 1},
		{"8 groups", []cognitotest.TokenOption{groups(8), cognitotest.WithoutClaim("scope")}, 1},
		{"8 groups and a scope", []cognitotest.TokenOption{groups(8)}, 2},
		{"20 groups", []cognitotest.TokenOption{groups(20)}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := pool.AccessToken(tc.opts...)
			first, err := v.Verify(ctx, token)
			require.NoError(t, err)
			var again *cognito.Claims
			allocs := testing.AllocsPerRun(20, func() { again, err = v.Verify(ctx, token) })
			require.NoError(t, err)
			assert.Equal(t, first, again)
			assert.Equal(t, tc.allocs, allocs)
		})
	}
}

// An empty or all-space scope claim grants nothing: Scopes is nil, as
// for an absent one.
func TestEmptyScope(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	for _, scope := range []string{"", " ", "   "} {
		c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("scope", scope)))
		require.NoError(t, err)
		assert.Nil(t, c.Scopes, "%q", scope)
	}
	c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("scope", " a ")))
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, c.Scopes)
}

// The error types' messages: the reason, then the detail if any; the URL
// of the key set if known, then the cause. A detail's arguments are
// formatted, and a % in a token's text stays text.
func TestErrorMessages(t *testing.T) {
	cause := errors.New("boom")
	cases := []struct {
		err  error
		want string
	}{
		{&cognito.TokenError{Reason: cognito.ErrExpired}, "cognito: invalid token: token is expired"},
		{&cognito.TokenError{Reason: cognito.ErrExpired, Detail: "at noon"}, "cognito: invalid token: token is expired: at noon"},
		{&cognito.KeysError{Err: cause}, "cognito: signing keys unavailable: boom"},
		{&cognito.KeysError{URL: "https://k.example/jwks.json", Err: cause}, "cognito: signing keys unavailable from https://k.example/jwks.json: boom"},
	}
	for _, tc := range cases {
		assert.EqualError(t, tc.err, tc.want)
	}
	assert.ErrorIs(t, cases[2].err, cause)
	assert.ErrorIs(t, cases[2].err, cognito.ErrKeysUnavailable)

	// A claim name with verbs in it, quoted into the detail.
	pool := newPool(t)
	v := newVerifier(t, pool)
	c, err := v.Verify(ctx, signClaims(t, pool, `{"a%d":1,"a%d":2}`))
	requireRejected(t, cognito.ErrMalformed, c, err)
	assert.ErrorContains(t, err, `duplicate claim "a%d"`)
}

// T-01…T-05: each framing error says what is wrong with the framing, at
// the segment where it is.
func TestFramingDetails(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	h, p, s := parts(pool.AccessToken())
	cases := []struct {
		token, says string
	}{
		{"", "empty token"},
		{"abc", "1 segment, want 3"},
		{h + "." + p, "2 segments, want 3"},
		{"." + p + "." + s, "empty header or payload"},
		{"..", "empty header or payload"},
		{h + ".." + s, "empty header or payload"},
		{h + "." + p + "..", "more than three segments"},
		{h + "." + p + ".." + s, "more than three segments"},
		{h + "." + p + "." + s + ".", "more than three segments"},
		{"\r" + h + "." + p + "." + s, "whitespace (0x0d) at offset 0, at the start of the token"},
		{h + "." + p + "." + s + "\n", fmt.Sprintf("whitespace (0x0a) at offset %d, at the end of the token", len(h)+len(p)+len(s)+2)},
	}
	for _, tc := range cases {
		t.Run(tc.says, func(t *testing.T) {
			c, err := v.Verify(ctx, tc.token)
			requireRejected(t, cognito.ErrMalformed, c, err)
			assert.ErrorContains(t, err, tc.says)
		})
	}
	assert.Zero(t, pool.Requests())
}
