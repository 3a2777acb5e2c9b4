package cognito_test

import (
	"testing"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 11 §3: a machine-to-machine token verifies like any access token
// and is told apart by IsMachine, not by guessing from an empty Username.
func TestMachineToken(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool)
	c, err := v.Verify(ctx, pool.MachineToken(cognitotest.WithScopes("orders/read", "orders/write")))
	require.NoError(t, err)
	assert.True(t, c.IsMachine())
	assert.Equal(t, pool.ClientID, c.Subject)
	assert.Equal(t, pool.ClientID, c.ClientID)
	assert.Empty(t, c.Username)
	assert.Nil(t, c.Groups)
	assert.Equal(t, []string{"orders/read", "orders/write"}, c.Scopes)
	assert.Equal(t, cognito.AccessToken, c.TokenUse)

	c, err = v.Verify(ctx, pool.MachineToken())
	require.NoError(t, err)
	assert.Equal(t, []string{cognitotest.DefaultMachineScope}, c.Scopes)
}

// IsMachine is exactly: an access token, sub equal to a non-empty
// client_id, no username. Each row breaks one part.
func TestIsMachine(t *testing.T) {
	machine := cognito.Claims{Subject: "client1", ClientID: "client1", TokenUse: cognito.AccessToken}
	cases := []struct {
		name   string
		change func(*cognito.Claims)
		want   bool
	}{
		{"machine token", func(*cognito.Claims) {}, true},
		{"with a username", func(c *cognito.Claims) { c.Username = "alice" }, false},
		{"sub is not the client", func(c *cognito.Claims) { c.Subject = "7d8f0c1e-0000-4000-8000-000000000001" }, false},
		{"an ID token", func(c *cognito.Claims) { c.TokenUse = cognito.IDToken }, false},
		{"no client (SkipClientIDCheck without client_id)", func(c *cognito.Claims) { c.Subject, c.ClientID = "", "" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := machine
			tc.change(&c)
			assert.Equal(t, tc.want, c.IsMachine())
		})
	}

	// The same on verified tokens.
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.AnyTokenUse })
	for token, want := range map[string]bool{
		pool.MachineToken(): true,
		pool.AccessToken():  false,
		pool.IDToken(cognitotest.WithClaim("sub", pool.ClientID)):                                           false,
		pool.MachineToken(cognitotest.WithClaim("username", "alice")):                                       false,
		pool.AccessToken(cognitotest.WithClaim("sub", pool.ClientID), cognitotest.WithoutClaim("username")): true,
	} {
		c, err := v.Verify(ctx, token)
		require.NoError(t, err)
		assert.Equal(t, want, c.IsMachine(), "sub %q username %q", c.Subject, c.Username)
	}
}

// Config.Principal refuses machine tokens where users are expected, or
// the reverse.
func TestPrincipal(t *testing.T) {
	pool := newPool(t)
	cases := []struct {
		name      string
		principal cognito.Principal
		token     string
		reason    error
	}{
		{"any: a user", cognito.AnyPrincipal, pool.AccessToken(), nil},
		{"any: a machine", cognito.AnyPrincipal, pool.MachineToken(), nil},
		{"users: a user", cognito.UserPrincipal, pool.AccessToken(), nil},
		{"users: an ID token", cognito.UserPrincipal, pool.IDToken(), nil},
		{"users: a machine", cognito.UserPrincipal, pool.MachineToken(), cognito.ErrPrincipal},
		{"machines: a machine", cognito.MachinePrincipal, pool.MachineToken(), nil},
		{"machines: a user", cognito.MachinePrincipal, pool.AccessToken(), cognito.ErrPrincipal},
		{"machines: an ID token", cognito.MachinePrincipal, pool.IDToken(), cognito.ErrPrincipal},
		{"machines: a user token without username is still a user's", cognito.MachinePrincipal, pool.AccessToken(cognitotest.WithoutClaim("username")), cognito.ErrPrincipal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse, c.Principal = cognito.AnyTokenUse, tc.principal })
			c, err := v.Verify(ctx, tc.token)
			requireOutcome(t, tc.reason, c, err)
		})
	}
}
