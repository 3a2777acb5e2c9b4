package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 11 §2–§4 per route: each rule answers as the verifier-level rule
// of its kind does (token use 401, principal 403, sign-in 401 with RFC
// 9470's insufficient_user_authentication and what would pass).
func TestMiddlewareRouteRules(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.AnyTokenUse })
	bearer := func(token string) []string { return []string{"Authorization", "Bearer " + token} }
	cases := []struct {
		name    string
		opts    []cognito.MiddlewareOption
		token   string
		status  int
		wwwAuth string // "" when 200
	}{
		{"access route, access token", []cognito.MiddlewareOption{cognito.RequireTokenUse(cognito.AccessToken)}, pool.AccessToken(), 200, ""},
		{"access route, ID token", []cognito.MiddlewareOption{cognito.RequireTokenUse(cognito.AccessToken)}, pool.IDToken(), 401,
			`Bearer error="invalid_token", error_description="token_use mismatch"`},
		{"ID route, ID token", []cognito.MiddlewareOption{cognito.RequireTokenUse(cognito.IDToken)}, pool.IDToken(), 200, ""},
		{"ID route, access token", []cognito.MiddlewareOption{cognito.RequireTokenUse(cognito.IDToken)}, pool.AccessToken(), 401,
			`Bearer error="invalid_token", error_description="token_use mismatch"`},
		{"people route, a user", []cognito.MiddlewareOption{cognito.RequirePrincipal(cognito.UserPrincipal)}, pool.AccessToken(), 200, ""},
		{"people route, a machine", []cognito.MiddlewareOption{cognito.RequirePrincipal(cognito.UserPrincipal)}, pool.MachineToken(), 403,
			`Bearer error="insufficient_scope", error_description="a machine-to-machine token is not accepted here"`},
		{"machine route, a machine", []cognito.MiddlewareOption{cognito.RequirePrincipal(cognito.MachinePrincipal)}, pool.MachineToken(), 200, ""},
		{"machine route, a user", []cognito.MiddlewareOption{cognito.RequirePrincipal(cognito.MachinePrincipal)}, pool.AccessToken(), 403,
			`Bearer error="insufficient_scope", error_description="only machine-to-machine tokens are accepted here"`},
		{"fresh sign-in", []cognito.MiddlewareOption{cognito.RequireAuthAge(5 * time.Minute)}, pool.IDToken(cognitotest.AuthenticatedAgo(5 * time.Minute)), 200, ""},
		{"stale sign-in", []cognito.MiddlewareOption{cognito.RequireAuthAge(5 * time.Minute)}, pool.IDToken(cognitotest.AuthenticatedAgo(5*time.Minute + time.Second)), 401,
			`Bearer error="insufficient_user_authentication", error_description="authentication too old", max_age="300"`},
		{"no auth_time", []cognito.MiddlewareOption{cognito.RequireAuthAge(5 * time.Minute)}, pool.IDToken(cognitotest.WithoutClaim("auth_time")), 401,
			`Bearer error="insufficient_user_authentication", error_description="authentication too old", max_age="300"`},
		{"the shortest age wins", []cognito.MiddlewareOption{cognito.RequireAuthAge(time.Hour), cognito.RequireAuthAge(time.Minute)}, pool.IDToken(cognitotest.AuthenticatedAgo(2 * time.Minute)), 401,
			`Bearer error="insufficient_user_authentication", error_description="authentication too old", max_age="60"`},
		{"strong sign-in", []cognito.MiddlewareOption{cognito.RequireACR("urn:cognito:loa:3")}, pool.IDToken(cognitotest.WithACR("urn:cognito:loa:3")), 200, ""},
		{"weak sign-in", []cognito.MiddlewareOption{cognito.RequireACR("urn:cognito:loa:2", "urn:cognito:loa:3")}, pool.IDToken(cognitotest.WithACR("urn:cognito:loa:1")), 401,
			`Bearer error="insufficient_user_authentication", error_description="authentication level not accepted", acr_values="urn:cognito:loa:2 urn:cognito:loa:3"`},
		{"no acr", []cognito.MiddlewareOption{cognito.RequireACR("urn:cognito:loa:2")}, pool.IDToken(), 401,
			`Bearer error="insufficient_user_authentication", error_description="authentication level not accepted", acr_values="urn:cognito:loa:2"`},
		{"every ACR rule must hold", []cognito.MiddlewareOption{cognito.RequireACR("a", "b"), cognito.RequireACR("b", "c")}, pool.IDToken(cognitotest.WithACR("a")), 401,
			`Bearer error="insufficient_user_authentication", error_description="authentication level not accepted", acr_values="b c"`},
		{"both ACR rules hold", []cognito.MiddlewareOption{cognito.RequireACR("a", "b"), cognito.RequireACR("b", "c")}, pool.IDToken(cognitotest.WithACR("b")), 200, ""},
		{"all rules together", []cognito.MiddlewareOption{cognito.RequireTokenUse(cognito.IDToken), cognito.RequirePrincipal(cognito.UserPrincipal),
			cognito.RequireAuthAge(time.Minute), cognito.RequireACR("urn:cognito:loa:3")}, pool.IDToken(cognitotest.WithACR("urn:cognito:loa:3")), 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := serve(v.Middleware(whoami, tc.opts...), "GET", "/", bearer(tc.token)...)
			assert.Equal(t, tc.status, res.status, res.body)
			assert.Equal(t, tc.wwwAuth, res.wwwAuth)
			if tc.status != 200 {
				assert.NotEmpty(t, res.json["error"])
			}
		})
	}
}

// A route's sign-in age is judged by the clock of the verifier that
// verified the token, a MultiVerifier's included, not the machine's.
func TestMiddlewareAuthAgeClock(t *testing.T) {
	clk := newStepClock()
	pool := newPool(t, cognitotest.WithClock(clk.Now))
	cfg := pool.Config()
	cfg.Now = clk.Now
	v, err := cognito.NewVerifier(cfg)
	require.NoError(t, err)
	m, err := cognito.NewMultiVerifier(cfg)
	require.NoError(t, err)
	token := pool.AccessToken(cognitotest.AuthenticatedAgo(4 * time.Minute))
	for name, tv := range map[string]cognito.TokenVerifier{"Verifier": v, "MultiVerifier": m} {
		h := cognito.Middleware(tv, whoami, cognito.RequireAuthAge(5*time.Minute))
		assert.Equal(t, 200, serve(h, "GET", "/", "Authorization", "Bearer "+token).status, name)
	}
	clk.Add(2 * time.Minute)
	for name, tv := range map[string]cognito.TokenVerifier{"Verifier": v, "MultiVerifier": m} {
		h := cognito.Middleware(tv, whoami, cognito.RequireAuthAge(5*time.Minute))
		assert.Equal(t, 401, serve(h, "GET", "/", "Authorization", "Bearer "+token).status, name)
	}
}

// Nested under a verifying middleware, the route rules decide on the
// outer middleware's private copy: a handler in between cannot change
// TokenUse, the principal or the sign-in claims.
func TestMiddlewareRouteRulesNested(t *testing.T) {
	pool := newPool(t)
	v := newVerifier(t, pool, func(c *cognito.Config) { c.TokenUse = cognito.AnyTokenUse })
	inner := v.Middleware(whoami, cognito.RequireTokenUse(cognito.IDToken), cognito.RequirePrincipal(cognito.UserPrincipal),
		cognito.RequireACR("urn:cognito:loa:3"), cognito.RequireAuthAge(time.Minute))
	meddler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := cognito.ClaimsFromContext(r.Context())
		c.TokenUse, c.ACR, c.AuthTime = cognito.IDToken, "urn:cognito:loa:3", fixedNow
		c.Username = "mallory"
		inner.ServeHTTP(w, r)
	})
	outer := v.Middleware(meddler)
	for name, token := range map[string]string{
		"access token":     pool.AccessToken(cognitotest.WithACR("urn:cognito:loa:3")),
		"weak ID token":    pool.IDToken(cognitotest.WithACR("urn:cognito:loa:1")),
		"stale ID token":   pool.IDToken(cognitotest.WithACR("urn:cognito:loa:3"), cognitotest.AuthenticatedAgo(time.Hour)),
		"ID token, no acr": pool.IDToken(),
	} {
		res := serve(outer, "GET", "/", "Authorization", "Bearer "+token)
		assert.Equal(t, 401, res.status, name)
	}
	res := serve(outer, "GET", "/", "Authorization", "Bearer "+pool.IDToken(cognitotest.WithACR("urn:cognito:loa:3")))
	assert.Equal(t, 200, res.status)

	people := v.Middleware(whoami, cognito.RequirePrincipal(cognito.UserPrincipal))
	outer = v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := cognito.ClaimsFromContext(r.Context())
		c.Username = "mallory" // would make a machine token look like a user's
		people.ServeHTTP(w, r)
	}))
	assert.Equal(t, 403, serve(outer, "GET", "/", "Authorization", "Bearer "+pool.MachineToken()).status)
}

// Verifier-level rules map to the same answers as their route rules.
func TestMiddlewareVerifierRules(t *testing.T) {
	pool := newPool(t)
	cases := []struct {
		name   string
		cfg    func(*cognito.Config)
		token  string
		status int
		code   string
	}{
		{"Principal", func(c *cognito.Config) { c.Principal = cognito.UserPrincipal }, pool.MachineToken(), 403, "insufficient_scope"},
		{"ClaimRules", func(c *cognito.Config) {
			c.ClaimRules = []cognito.ClaimRule{{Name: "custom:tenant", Format: cognito.SingleString, Values: []string{"acme"}}}
		}, pool.AccessToken(), 403, "insufficient_scope"},
		{"MaxAuthAge", func(c *cognito.Config) { c.MaxAuthAge = time.Minute }, pool.AccessToken(cognitotest.AuthenticatedAgo(time.Hour)), 401, "insufficient_user_authentication"},
		{"ACRValues", func(c *cognito.Config) { c.ACRValues = []string{"urn:cognito:loa:3"} }, pool.AccessToken(), 401, "insufficient_user_authentication"},
		{"Resources", func(c *cognito.Config) { c.Resources = []string{"https://api.example.com"} }, pool.AccessToken(), 401, "invalid_token"},
		{"Check rejects", func(c *cognito.Config) {
			c.Check = func(context.Context, *cognito.Claims) error { return errors.New("revoked") }
		}, pool.AccessToken(), 401, "invalid_token"},
		{"Check could not decide", func(c *cognito.Config) {
			c.Check = func(context.Context, *cognito.Claims) error {
				return fmt.Errorf("table down: %w", cognito.ErrKeysUnavailable)
			}
		}, pool.AccessToken(), 500, "server_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, tc.cfg)
			res := serve(v.Middleware(whoami), "GET", "/", "Authorization", "Bearer "+tc.token)
			assert.Equal(t, tc.status, res.status, res.body)
			assert.Equal(t, tc.code, res.json["error"])
		})
	}
}

// A rule that could pass everyone, or no one, is refused when the
// middleware is built.
func TestMiddlewareRouteRulesRefused(t *testing.T) {
	v := newVerifier(t, newPool(t))
	for name, opt := range map[string]cognito.MiddlewareOption{
		"token use any":      cognito.RequireTokenUse(cognito.AnyTokenUse),
		"token use empty":    cognito.RequireTokenUse(""),
		"principal any":      cognito.RequirePrincipal(cognito.AnyPrincipal),
		"principal unknown":  cognito.RequirePrincipal(9),
		"ACR none":           cognito.RequireACR(),
		"ACR empty":          cognito.RequireACR("urn:cognito:loa:2", ""),
		"ACR with a space":   cognito.RequireACR("a b"),
		"ACR with a quote":   cognito.RequireACR(`a"b`),
		"ACR with a newline": cognito.RequireACR("a\nb"),
		"auth age zero":      cognito.RequireAuthAge(0),
		"auth age under 1 s": cognito.RequireAuthAge(time.Millisecond),
		"auth age negative":  cognito.RequireAuthAge(-time.Minute),
	} {
		assert.Panics(t, func() { v.Middleware(whoami, opt) }, name)
	}
	assert.Panics(t, func() {
		v.Middleware(whoami, cognito.RequireTokenUse(cognito.AccessToken), cognito.RequireTokenUse(cognito.IDToken))
	}, "both token kinds")
	assert.Panics(t, func() {
		v.Middleware(whoami, cognito.RequirePrincipal(cognito.UserPrincipal), cognito.RequirePrincipal(cognito.MachinePrincipal))
	}, "both principals")
}
