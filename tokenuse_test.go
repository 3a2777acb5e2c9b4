package cognito_test

import (
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
)

// Issue 11 §2: AnyTokenUse accepts both kinds of one pool, each on its own
// client claim (never one for the other), reported in Claims.TokenUse.
func TestAnyTokenUse(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.AnyTokenUse })
	cases := []struct {
		name     string
		token    string
		use      cognito.TokenUse
		username string
		reason   error
	}{
		{"access token", pool.AccessToken(cognitotest.WithUser("bob")), cognito.AccessToken, "bob", nil},
		{"ID token", pool.IDToken(cognitotest.WithUser("carol")), cognito.IDToken, "carol", nil},
		{"access token of another client", pool.AccessToken(cognitotest.WithClaim("client_id", "other")), "", "", cognito.ErrClient},
		{"access token: the client in aud does not count", pool.AccessToken(cognitotest.WithoutClaim("client_id"), cognitotest.WithClaim("aud", pool.ClientID)), "", "", cognito.ErrClient},
		{"ID token of another client", pool.IDToken(cognitotest.WithClaim("aud", "other")), "", "", cognito.ErrClient},
		{"ID token: client_id does not count", pool.IDToken(cognitotest.WithoutClaim("aud"), cognitotest.WithClaim("client_id", pool.ClientID)), "", "", cognito.ErrClient},
		{"token_use any is not a kind", pool.AccessToken(cognitotest.WithClaim("token_use", "any")), "", "", cognito.ErrTokenUse},
		{"token_use refresh", pool.AccessToken(cognitotest.WithClaim("token_use", "refresh")), "", "", cognito.ErrTokenUse},
		{"token_use ID", pool.IDToken(cognitotest.WithClaim("token_use", "ID")), "", "", cognito.ErrTokenUse},
		{"token_use missing", pool.AccessToken(cognitotest.WithoutClaim("token_use")), "", "", cognito.ErrTokenUse},
		{"token_use empty", pool.AccessToken(cognitotest.WithClaim("token_use", "")), "", "", cognito.ErrTokenUse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, tc.token)
			requireOutcome(t, tc.reason, c, err)
			if tc.reason == nil {
				assert.Equal(t, tc.use, c.TokenUse)
				assert.Equal(t, tc.username, c.Username, "username for access, cognito:username for ID")
				assert.Equal(t, pool.ClientID, c.ClientID)
			}
		})
	}
}

// The kinds stay apart for a verifier of one kind, AnyTokenUse or not.
func TestTokenUseOneKind(t *testing.T) {
	pool := newPool(t)
	access := newVerifier(t, pool)
	id := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.IDToken })
	c, err := access.Verify(ctx, pool.IDToken())
	requireRejected(t, cognito.ErrTokenUse, c, err)
	c, err = id.Verify(ctx, pool.AccessToken())
	requireRejected(t, cognito.ErrTokenUse, c, err)
	c, err = access.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("token_use", "any")))
	requireRejected(t, cognito.ErrTokenUse, c, err)
}
