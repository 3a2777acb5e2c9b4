package cognito_test

import (
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// edit returns the pool's access claims with changes applied; a nil value
// deletes the claim, and the special value jsonNull writes null.
func edit(pool *cognitotest.Pool, changes map[string]any) map[string]any {
	c := accessClaims(pool)
	for k, v := range changes {
		if v == nil {
			delete(c, k)
			continue
		}
		if v == jsonNull {
			c[k] = nil
			continue
		}
		c[k] = v
	}
	return c
}

type nullMarker struct{}

var jsonNull = nullMarker{}

// T-62…T-72: time claims, against a fixed clock, with leeway L = 30 s in
// the leeway rows.
func TestTimeClaims(t *testing.T) {
	pool := newPool(t)
	now := fixedNow.Unix()
	const L = 30
	cases := []struct {
		name    string
		changes map[string]any
		leeway  time.Duration
		reason  error // nil: accepted
	}{
		{"T-62 exp missing", map[string]any{"exp": nil}, 0, cognito.ErrClaim},
		{"T-63 exp null", map[string]any{"exp": jsonNull}, 0, cognito.ErrClaim},
		{"T-64 exp == now", map[string]any{"exp": now}, 0, cognito.ErrExpired},
		{"T-64 exp = now-1", map[string]any{"exp": now - 1}, 0, cognito.ErrExpired},
		{"T-64 exp = now+1", map[string]any{"exp": now + 1}, 0, nil},
		{"T-65 exp = now-L+1, leeway L", map[string]any{"exp": now - L + 1}, L * time.Second, nil},
		{"T-65 exp = now-L, leeway L (equality is expired)", map[string]any{"exp": now - L}, L * time.Second, cognito.ErrExpired},
		{"T-65 exp = now-L-1, leeway L", map[string]any{"exp": now - L - 1}, L * time.Second, cognito.ErrExpired},
		{"T-65 nbf = now+L, leeway L", map[string]any{"nbf": now + L}, L * time.Second, nil},
		{"T-65 nbf = now+L+1, leeway L", map[string]any{"nbf": now + L + 1}, L * time.Second, cognito.ErrNotYetValid},
		{"T-65 iat = now+L, leeway L", map[string]any{"iat": now + L}, L * time.Second, nil},
		{"T-65 iat = now+L+1, leeway L", map[string]any{"iat": now + L + 1}, L * time.Second, cognito.ErrIssuedInFuture},
		{"T-66 exp fractional, not truncated", map[string]any{"exp": float64(now) + 0.5}, 0, nil},
		{"T-66 exp fractional past", map[string]any{"exp": float64(now) - 0.5}, 0, cognito.ErrExpired},
		{"T-67 exp string", map[string]any{"exp": "1800000000"}, 0, cognito.ErrClaim},
		{"T-67 exp bool", map[string]any{"exp": true}, 0, cognito.ErrClaim},
		{"T-67 exp object", map[string]any{"exp": map[string]any{}}, 0, cognito.ErrClaim},
		{"T-67 exp array", map[string]any{"exp": []int{1}}, 0, cognito.ErrClaim},
		{"T-68 exp 1e19", map[string]any{"exp": 1e19}, 0, cognito.ErrClaim},
		{"T-68 exp MaxInt64", map[string]any{"exp": int64(9223372036854775807)}, 0, cognito.ErrClaim},
		{"T-68 exp 2^62", map[string]any{"exp": int64(1) << 62}, 0, cognito.ErrClaim},
		{"T-68 nbf 1e19", map[string]any{"nbf": 1e19}, 0, cognito.ErrClaim},
		{"T-68 nbf MaxInt64", map[string]any{"nbf": int64(9223372036854775807)}, 0, cognito.ErrClaim},
		{"T-69 exp -1", map[string]any{"exp": -1}, 0, cognito.ErrExpired},
		{"T-69 exp 0", map[string]any{"exp": 0}, 0, cognito.ErrExpired},
		{"T-70 nbf in 10 min", map[string]any{"nbf": now + 600}, 0, cognito.ErrNotYetValid},
		{"T-70 nbf now", map[string]any{"nbf": now}, 0, nil},
		{"T-71 iat in 10 min", map[string]any{"iat": now + 600}, 0, cognito.ErrIssuedInFuture},
		{"T-71 iat string", map[string]any{"iat": "now"}, 0, cognito.ErrClaim},
		{"T-71 iat missing is fine", map[string]any{"iat": nil}, 0, nil},
		{"auth_time wrong type", map[string]any{"auth_time": "yesterday"}, 0, cognito.ErrClaim},
		{"T-92 auth_time null", map[string]any{"auth_time": jsonNull}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Leeway alone here; TestClockSkew covers the default skew.
			v := newVerifier(t, pool, func(c *cognito.Config) { c.Leeway, c.ClockSkew = tc.leeway, -1 })
			c, err := v.Verify(ctx, signClaims(t, pool, edit(pool, tc.changes)))
			requireOutcome(t, tc.reason, c, err)
		})
	}
}

// C-11: iat and nbf may be ClockSkew (default a minute) in the future, or
// Leeway if larger; exp gets no skew; far-future tokens are still refused.
func TestClockSkew(t *testing.T) {
	pool := newPool(t)
	now := fixedNow.Unix()
	cases := []struct {
		name    string
		changes map[string]any
		leeway  time.Duration
		skew    time.Duration
		reason  error // nil: accepted
	}{
		{"iat 3 s ahead (real Cognito tokens)", map[string]any{"iat": now + 3, "auth_time": now}, 0, 0, nil},
		{"iat at the default skew", map[string]any{"iat": now + 60}, 0, 0, nil},
		{"iat past the default skew", map[string]any{"iat": now + 61}, 0, 0, cognito.ErrIssuedInFuture},
		{"iat an hour ahead", map[string]any{"iat": now + 3600}, 0, 0, cognito.ErrIssuedInFuture},
		{"nbf at the default skew", map[string]any{"nbf": now + 60}, 0, 0, nil},
		{"nbf past the default skew", map[string]any{"nbf": now + 61}, 0, 0, cognito.ErrNotYetValid},
		{"iat at a 10 s skew", map[string]any{"iat": now + 10}, 0, 10 * time.Second, nil},
		{"iat past a 10 s skew", map[string]any{"iat": now + 11}, 0, 10 * time.Second, cognito.ErrIssuedInFuture},
		{"no skew", map[string]any{"iat": now + 1}, 0, -1, cognito.ErrIssuedInFuture},
		{"a larger leeway wins", map[string]any{"nbf": now + 90}, 90 * time.Second, 0, nil},
		{"exp gets no skew", map[string]any{"exp": now}, 0, 0, cognito.ErrExpired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.Leeway, c.ClockSkew = tc.leeway, tc.skew })
			c, err := v.Verify(ctx, signClaims(t, pool, edit(pool, tc.changes)))
			requireOutcome(t, tc.reason, c, err)
		})
	}
	cfg := validConfig()
	cfg.ClockSkew = cognito.MaxLeeway + time.Second
	_, err := cognito.NewVerifier(cfg)
	assert.ErrorContains(t, err, "ClockSkew")
}

// T-66 and T-68 with raw JSON number forms that Go maps cannot produce.
func TestNumericDateForms(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	base := `{"sub":"s","iss":"` + pool.Issuer() + `","token_use":"access","client_id":"` + pool.ClientID + `",`
	cases := []struct {
		exp    string
		reason error
	}{
		{"1e400", cognito.ErrClaim},
		{"-0", cognito.ErrExpired},
		{"1.8e9", nil},
		{"9223372036854775807", cognito.ErrClaim},
		{"-9223372036854775808", cognito.ErrClaim},
		{`"1800000000"`, cognito.ErrClaim},
	}
	for _, tc := range cases {
		t.Run(tc.exp, func(t *testing.T) {
			c, err := v.Verify(ctx, signClaims(t, pool, base+`"exp":`+tc.exp+`}`))
			if tc.reason == nil {
				require.NoError(t, err)
				assert.Equal(t, int64(1.8e9), c.ExpiresAt.Unix())
				return
			}
			requireRejected(t, tc.reason, c, err)
		})
	}
}

// T-80…T-93: identity claims.
func TestIdentityClaims(t *testing.T) {
	pool := newPool(t)
	iss := pool.Issuer()
	cases := []struct {
		name    string
		changes map[string]any
		reason  error
	}{
		{"T-80 exact issuer", map[string]any{}, nil},
		{"T-81 trailing slash", map[string]any{"iss": iss + "/"}, cognito.ErrIssuer},
		{"T-81 upper-case scheme", map[string]any{"iss": "HTTPS://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"}, cognito.ErrIssuer},
		{"T-81 upper-case host", map[string]any{"iss": "https://COGNITO-IDP.us-east-1.amazonaws.com/us-east-1_TestPool1"}, cognito.ErrIssuer},
		{"T-81 other case pool", map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_testpool1"}, cognito.ErrIssuer},
		{"T-81 http", map[string]any{"iss": "http://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"}, cognito.ErrIssuer},
		{"T-81 other region", map[string]any{"iss": "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_TestPool1"}, cognito.ErrIssuer},
		{"T-81 extra path", map[string]any{"iss": iss + "/extra"}, cognito.ErrIssuer},
		{"T-81 spaces", map[string]any{"iss": " " + iss + " "}, cognito.ErrIssuer},
		{"T-81 look-alike", map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPooI1"}, cognito.ErrIssuer},
		{"T-81 encoded slash", map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com%2Fus-east-1_TestPool1"}, cognito.ErrIssuer},
		{"T-81 new issuer form not configured", map[string]any{"iss": "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"}, cognito.ErrIssuer},
		{"T-83 iss missing", map[string]any{"iss": nil}, cognito.ErrIssuer},
		{"T-83 iss null", map[string]any{"iss": jsonNull}, cognito.ErrIssuer},
		{"T-83 iss number", map[string]any{"iss": 1}, cognito.ErrClaim},
		{"T-84 token_use id", map[string]any{"token_use": "id"}, cognito.ErrTokenUse},
		{"T-85 token_use missing", map[string]any{"token_use": nil}, cognito.ErrTokenUse},
		{"T-85 token_use null", map[string]any{"token_use": jsonNull}, cognito.ErrTokenUse},
		{"T-85 token_use ACCESS", map[string]any{"token_use": "ACCESS"}, cognito.ErrTokenUse},
		{"T-85 token_use refresh", map[string]any{"token_use": "refresh"}, cognito.ErrTokenUse},
		{"T-85 token_use array", map[string]any{"token_use": []string{"access"}}, cognito.ErrClaim},
		{"T-85 token_use number", map[string]any{"token_use": 1}, cognito.ErrClaim},
		{"T-88 client_id other", map[string]any{"client_id": "other"}, cognito.ErrClient},
		{"T-88 client_id missing", map[string]any{"client_id": nil}, cognito.ErrClient},
		{"T-88 client_id null", map[string]any{"client_id": jsonNull}, cognito.ErrClient},
		{"T-88 client_id number", map[string]any{"client_id": 7}, cognito.ErrClaim},
		{"T-88 no fallback to aud", map[string]any{"client_id": nil, "aud": pool.ClientID}, cognito.ErrClient},
		{"T-88 aud right, client_id wrong", map[string]any{"client_id": "other", "aud": pool.ClientID}, cognito.ErrClient},
		{"T-89 groups string", map[string]any{"cognito:groups": "admin"}, cognito.ErrClaim},
		{"T-89 groups numbers", map[string]any{"cognito:groups": []int{1}}, cognito.ErrClaim},
		{"T-89 groups nested", map[string]any{"cognito:groups": [][]string{{"admin"}}}, cognito.ErrClaim},
		{"T-89 groups object", map[string]any{"cognito:groups": map[string]any{}}, cognito.ErrClaim},
		{"T-92 groups null", map[string]any{"cognito:groups": jsonNull}, nil},
		{"T-90 scope number", map[string]any{"scope": 5}, cognito.ErrClaim},
		{"T-90 scope absent", map[string]any{"scope": nil}, nil},
		{"T-91 sub missing", map[string]any{"sub": nil}, cognito.ErrSubject},
		{"T-91 sub empty", map[string]any{"sub": ""}, cognito.ErrSubject},
		{"T-91 sub null", map[string]any{"sub": jsonNull}, cognito.ErrSubject},
		{"T-91 sub number", map[string]any{"sub": 12}, cognito.ErrClaim},
		{"username absent (client credentials)", map[string]any{"username": nil}, nil},
		{"username wrong type", map[string]any{"username": 1}, cognito.ErrClaim},
		{"jti wrong type", map[string]any{"jti": 1}, cognito.ErrClaim},
	}
	v := newVerifier(t, pool)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, signClaims(t, pool, edit(pool, tc.changes)))
			requireOutcome(t, tc.reason, c, err)
		})
	}
}

// T-86, T-87, T-92: the ID token's client is aud, never client_id.
func TestIDTokenAudience(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.IDToken })
	cases := []struct {
		name   string
		opt    cognitotest.TokenOption
		reason error
		more   cognitotest.TokenOption
	}{
		{"aud string", cognitotest.WithClaim("aud", pool.ClientID), nil, nil},
		{"T-87 aud array holding the client", cognitotest.WithClaim("aud", []string{"other", pool.ClientID}), nil, nil},
		{"T-86 aud other", cognitotest.WithClaim("aud", "other"), cognito.ErrClient, nil},
		{"T-86 aud missing", cognitotest.WithoutClaim("aud"), cognito.ErrClient, nil},
		{"T-86 no fallback to client_id", cognitotest.WithoutClaim("aud"), cognito.ErrClient, cognitotest.WithClaim("client_id", pool.ClientID)},
		{"T-87 aud empty array", cognitotest.WithClaim("aud", []string{}), cognito.ErrClient, nil},
		{"T-87 aud array with a number", cognitotest.WithClaim("aud", []any{pool.ClientID, 1}), cognito.ErrClaim, nil},
		{"T-87 aud number", cognitotest.WithClaim("aud", 1), cognito.ErrClaim, nil},
		{"T-87 aud object", cognitotest.WithClaim("aud", map[string]any{}), cognito.ErrClaim, nil},
		{"T-92 aud null", cognitotest.WithClaim("aud", nil), cognito.ErrClient, nil},
		{"T-84 access token as ID token", cognitotest.WithClaim("token_use", "access"), cognito.ErrTokenUse, nil},
		{"email_verified string true", cognitotest.WithClaim("email_verified", "true"), nil, nil},
		{"email_verified number", cognitotest.WithClaim("email_verified", 1), cognito.ErrClaim, nil},
		{"email_verified other string", cognitotest.WithClaim("email_verified", "yes"), cognito.ErrClaim, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := []cognitotest.TokenOption{tc.opt}
			if tc.more != nil {
				opts = append(opts, tc.more)
			}
			c, err := v.Verify(ctx, pool.IDToken(opts...))
			if tc.reason == nil {
				require.NoError(t, err)
				assert.Equal(t, pool.ClientID, c.ClientID)
				return
			}
			requireRejected(t, tc.reason, c, err)
		})
	}
}

// T-49, T-50: duplicate members are rejected and names match exactly, so a
// signed payload has one meaning.
func TestPayloadDecodingIsStrict(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	base := `"sub":"s","iss":"` + pool.Issuer() + `","client_id":"` + pool.ClientID + `","exp":1900000000`
	cases := []struct {
		name    string
		payload string
		reason  error
	}{
		{"T-49 duplicate token_use", `{` + base + `,"token_use":"access","token_use":"id"}`, cognito.ErrMalformed},
		{"T-49 duplicate sub", `{` + base + `,"token_use":"access","sub":"other"}`, cognito.ErrMalformed},
		{"T-50 only a case variant", `{` + base + `,"Token_Use":"access"}`, cognito.ErrTokenUse},
		{"T-50 case variant beside the real claim", `{` + base + `,"token_use":"id","TOKEN_USE":"access"}`, cognito.ErrTokenUse},
		{"T-50 case-variant client", `{"sub":"s","iss":"` + pool.Issuer() + `","CLIENT_ID":"` + pool.ClientID + `","exp":1900000000,"token_use":"access"}`, cognito.ErrClient},
		{"T-15 array", `[]`, cognito.ErrMalformed},
		{"T-15 null", `null`, cognito.ErrMalformed},
		{"T-15 string", `"x"`, cognito.ErrMalformed},
		{"T-15 empty", ``, cognito.ErrMalformed},
		{"T-15 invalid JSON", `{"sub":`, cognito.ErrMalformed},
		{"T-15 trailing garbage", `{` + base + `,"token_use":"access"} x`, cognito.ErrMalformed},
		{"T-15 invalid UTF-8", "{" + base + ",\"token_use\":\"access\",\"username\":\"\xff\"}", cognito.ErrMalformed},
		{"T-93 lone surrogate in iss", `{"sub":"s","iss":"` + pool.Issuer() + `\ud800","client_id":"` + pool.ClientID + `","exp":1900000000,"token_use":"access"}`, cognito.ErrIssuer},
		{"T-93 invalid UTF-8 in iss", "{\"sub\":\"s\",\"iss\":\"" + pool.Issuer() + "\xff\",\"exp\":1900000000}", cognito.ErrMalformed},
		{"T-16 deep nesting", `{` + base + `,"token_use":"access","x":` + nest(10500) + `}`, cognito.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, signClaims(t, pool, tc.payload))
			requireRejected(t, tc.reason, c, err)
		})
	}
	// The same base with one proper token_use verifies: the rejections
	// above are due to the named defect only.
	_, err := v.Verify(ctx, signClaims(t, pool, `{`+base+`,"token_use":"access"}`))
	require.NoError(t, err)
}

func nest(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, '[')
	}
	for range n {
		b = append(b, ']')
	}
	return string(b)
}

// Groups and scopes: at least one configured value, exact strings; scopes
// split on spaces only.
func TestGroupsAndScopes(t *testing.T) {
	pool := newPool(t)
	cases := []struct {
		name   string
		groups []string
		scopes []string
		opts   []cognitotest.TokenOption
		reason error
	}{
		{"group held", []string{"admin", "ops"}, nil, []cognitotest.TokenOption{cognitotest.WithGroups("users", "ops")}, nil},
		{"group missing", []string{"admin"}, nil, []cognitotest.TokenOption{cognitotest.WithGroups("users")}, cognito.ErrGroup},
		{"group case differs", []string{"admin"}, nil, []cognitotest.TokenOption{cognitotest.WithGroups("Admin")}, cognito.ErrGroup},
		{"no groups claim", []string{"admin"}, nil, nil, cognito.ErrGroup},
		{"T-89 comma string never split", []string{"admin"}, nil, []cognitotest.TokenOption{cognitotest.WithClaim("cognito:groups", "admin,users")}, cognito.ErrClaim},
		{"scope granted", nil, []string{"notes/write"}, []cognitotest.TokenOption{cognitotest.WithScopes("openid", "notes/write")}, nil},
		{"scope missing", nil, []string{"notes/write"}, []cognitotest.TokenOption{cognitotest.WithScopes("notes/read")}, cognito.ErrScope},
		{"scope prefix is not the scope", nil, []string{"notes/write"}, []cognitotest.TokenOption{cognitotest.WithClaim("scope", "notes/writer")}, cognito.ErrScope},
		{"scope tab is not a separator", nil, []string{"notes/write"}, []cognitotest.TokenOption{cognitotest.WithClaim("scope", "openid\tnotes/write")}, cognito.ErrScope},
		{"scope double spaces", nil, []string{"notes/write"}, []cognitotest.TokenOption{cognitotest.WithClaim("scope", "openid  notes/write ")}, nil},
		{"T-90 no scope claim", nil, []string{"notes/write"}, []cognitotest.TokenOption{cognitotest.WithoutClaim("scope")}, cognito.ErrScope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.Groups, c.Scopes = tc.groups, tc.scopes })
			c, err := v.Verify(ctx, pool.AccessToken(tc.opts...))
			requireOutcome(t, tc.reason, c, err)
		})
	}
}

// SkipClientIDCheck accepts any client, and still requires everything else.
func TestSkipClientIDCheck(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.ClientIDs, c.SkipClientIDCheck = nil, true })
	c, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("client_id", "any-client")))
	require.NoError(t, err)
	assert.Equal(t, "any-client", c.ClientID)
	c, err = v.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("token_use", "id")))
	requireRejected(t, cognito.ErrTokenUse, c, err)
}

// T-94: revocation is not checked; an offline verifier cannot see it. The
// test pins that Verify makes no request beyond the key set.
func TestNoRevocationCheck(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	for range 3 {
		_, err := v.Verify(ctx, pool.AccessToken())
		require.NoError(t, err)
	}
	assert.Equal(t, 1, pool.Requests(), "only the one JWKS fetch")
}
