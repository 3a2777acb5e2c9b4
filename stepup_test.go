package cognito_test

import (
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 11 §4: acr and amr are typed claims, with strict JSON types.
func TestACRAndAMRClaims(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.AnyTokenUse })
	cases := []struct {
		name   string
		token  string
		acr    string
		amr    []string
		reason error
	}{
		{"ID token", pool.IDToken(cognitotest.WithACR("urn:cognito:loa:3"), cognitotest.WithAMR("pwd", "otp", "mfa")), "urn:cognito:loa:3", []string{"pwd", "otp", "mfa"}, nil},
		{"access token", pool.AccessToken(cognitotest.WithACR("urn:cognito:loa:2"), cognitotest.WithAMR("pwd")), "urn:cognito:loa:2", []string{"pwd"}, nil},
		{"absent", pool.IDToken(), "", nil, nil},
		{"null", pool.IDToken(cognitotest.WithClaim("acr", nil), cognitotest.WithClaim("amr", nil)), "", nil, nil},
		{"amr empty", pool.IDToken(cognitotest.WithAMR()), "", []string{}, nil},
		{"acr a number", pool.IDToken(cognitotest.WithClaim("acr", 3)), "", nil, cognito.ErrClaim},
		{"acr an array", pool.IDToken(cognitotest.WithClaim("acr", []string{"urn:cognito:loa:3"})), "", nil, cognito.ErrClaim},
		{"amr a string", pool.IDToken(cognitotest.WithClaim("amr", "mfa")), "", nil, cognito.ErrClaim},
		{"amr with a number", pool.IDToken(cognitotest.WithClaim("amr", []any{"pwd", 1})), "", nil, cognito.ErrClaim},
		{"amr nested", pool.IDToken(cognitotest.WithClaim("amr", [][]string{{"pwd"}})), "", nil, cognito.ErrClaim},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, tc.token)
			requireOutcome(t, tc.reason, c, err)
			if tc.reason == nil {
				assert.Equal(t, tc.acr, c.ACR)
				assert.Equal(t, tc.amr, c.AMR)
			}
		})
	}
}

// MaxAuthAge bounds the sign-in's age (auth_time), exactly at the
// boundary, and requires auth_time.
func TestMaxAuthAge(t *testing.T) {
	pool := newPool(t)
	const max = 15 * time.Minute
	cases := []struct {
		name   string
		opts   []cognitotest.TokenOption
		reason error
	}{
		{"signed in 10 min ago", []cognitotest.TokenOption{cognitotest.AuthenticatedAgo(10 * time.Minute)}, nil},
		{"signed in exactly 15 min ago", []cognitotest.TokenOption{cognitotest.AuthenticatedAgo(max)}, nil},
		{"15 min and 1 s ago", []cognitotest.TokenOption{cognitotest.AuthenticatedAgo(max + time.Second)}, cognito.ErrAuthAge},
		{"a day ago (a refreshed token keeps auth_time)", []cognitotest.TokenOption{cognitotest.AuthenticatedAgo(24 * time.Hour)}, cognito.ErrAuthAge},
		{"auth_time missing", []cognitotest.TokenOption{cognitotest.WithoutClaim("auth_time")}, cognito.ErrAuthAge},
		{"auth_time null", []cognitotest.TokenOption{cognitotest.WithClaim("auth_time", nil)}, cognito.ErrAuthAge},
		{"auth_time 0", []cognitotest.TokenOption{cognitotest.WithClaim("auth_time", 0)}, cognito.ErrAuthAge},
		{"auth_time a string", []cognitotest.TokenOption{cognitotest.WithClaim("auth_time", "now")}, cognito.ErrClaim},
		{"auth_time ahead of the clock", []cognitotest.TokenOption{cognitotest.AuthenticatedAgo(-30 * time.Second)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.MaxAuthAge = max })
			c, err := v.Verify(ctx, pool.AccessToken(tc.opts...))
			requireOutcome(t, tc.reason, c, err)
		})
	}
	// Without the option, age and absence do not matter.
	v := newVerifier(t, pool)
	_, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithoutClaim("auth_time")))
	require.NoError(t, err)
}

// The age grows while a token sits in the verified-token cache: a hit is
// judged at its own time.
func TestMaxAuthAgeOnCacheHit(t *testing.T) {
	clk := newStepClock()
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	v := newVerifier(t, pool, func(c *cognito.Config) { c.MaxAuthAge = 15 * time.Minute })
	token := pool.AccessToken(cognitotest.AuthenticatedAgo(10 * time.Minute))
	_, err := v.Verify(ctx, token)
	require.NoError(t, err)
	clk.Add(4 * time.Minute)
	_, err = v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), cognito.CacheHits(v))
	clk.Add(2 * time.Minute)
	c, err := v.Verify(ctx, token)
	requireRejected(t, cognito.ErrAuthAge, c, err)
}

// ACRValues accepts exactly the listed levels, whatever a pool names them.
func TestACRValues(t *testing.T) {
	pool := newPool(t)
	loa23 := []string{"urn:cognito:loa:2", "urn:cognito:loa:3"}
	cases := []struct {
		name   string
		values []string
		token  string
		reason error
	}{
		{"loa:2", loa23, pool.IDToken(cognitotest.WithACR("urn:cognito:loa:2")), nil},
		{"loa:3", loa23, pool.IDToken(cognitotest.WithACR("urn:cognito:loa:3")), nil},
		{"an access token's acr", loa23, pool.AccessToken(cognitotest.WithACR("urn:cognito:loa:3")), nil},
		{"loa:1", loa23, pool.IDToken(cognitotest.WithACR("urn:cognito:loa:1")), cognito.ErrACR},
		{"loa:4 is not loa:3 or more: values are not ordered", loa23, pool.IDToken(cognitotest.WithACR("urn:cognito:loa:4")), cognito.ErrACR},
		{"acr missing", loa23, pool.IDToken(), cognito.ErrACR},
		{"acr empty", loa23, pool.IDToken(cognitotest.WithACR("")), cognito.ErrACR},
		{"case differs", loa23, pool.IDToken(cognitotest.WithACR("URN:COGNITO:LOA:3")), cognito.ErrACR},
		{"a pool's own level name", []string{"gold"}, pool.IDToken(cognitotest.WithACR("gold")), nil},
		{"amr does not stand in for acr", loa23, pool.IDToken(cognitotest.WithAMR("mfa")), cognito.ErrACR},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse, c.ACRValues = cognito.AnyTokenUse, tc.values })
			c, err := v.Verify(ctx, tc.token)
			requireOutcome(t, tc.reason, c, err)
		})
	}
}

// C-03 for amr: what a caller does to the AMR it got changes no later
// answer (the cache keeps its own copy).
func TestAMRCopied(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	token := pool.AccessToken(cognitotest.WithAMR("pwd", "mfa"), cognitotest.WithGroups("users"))
	c, err := v.Verify(ctx, token)
	require.NoError(t, err)
	c.AMR[0] = "changed"
	_ = append(c.Groups, "admin")
	again, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), cognito.CacheHits(v))
	assert.Equal(t, []string{"pwd", "mfa"}, again.AMR)
	again.AMR[1] = "changed"
	third, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, []string{"pwd", "mfa"}, third.AMR)
}
