package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 11 §5: declarative claim rules, one row per way a claim can meet
// or miss a rule.
func TestClaimRules(t *testing.T) {
	pool := newPool(t)
	tenant := cognito.ClaimRule{Name: "custom:tenant", Format: cognito.SingleString, Values: []string{"acme", "globex"}}
	roles := cognito.ClaimRule{Name: "custom:roles", Format: cognito.StringArray, Values: []string{"editor"}}
	plans := cognito.ClaimRule{Name: "custom:plans", Format: cognito.SpaceSeparated, Values: []string{"pro"}}
	mfa := cognito.ClaimRule{Name: "amr", Format: cognito.StringArray, Values: []string{"mfa"}}
	with := cognitotest.WithClaim
	cases := []struct {
		name   string
		rules  []cognito.ClaimRule
		opts   []cognitotest.TokenOption
		reason error
	}{
		{"string equal", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", "globex")}, nil},
		{"string other", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", "initech")}, cognito.ErrClaimRule},
		{"string differs in case", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", "ACME")}, cognito.ErrClaimRule},
		{"string missing", []cognito.ClaimRule{tenant}, nil, cognito.ErrClaimRule},
		{"string null", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", nil)}, cognito.ErrClaimRule},
		{"string as an array", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", []string{"acme"})}, cognito.ErrClaimRule},
		{"string as a number", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", 1)}, cognito.ErrClaimRule},
		{"string, not space-separated", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", "acme globex")}, cognito.ErrClaimRule},
		{"array holding", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", []string{"viewer", "editor"})}, nil},
		{"array not holding", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", []string{"viewer"})}, cognito.ErrClaimRule},
		{"array empty", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", []string{})}, cognito.ErrClaimRule},
		{"array: a lone string does not qualify", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", "editor")}, cognito.ErrClaimRule},
		{"array with a number", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", []any{"editor", 1})}, cognito.ErrClaimRule},
		{"array nested", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", [][]string{{"editor"}})}, cognito.ErrClaimRule},
		{"array as an object", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", map[string]string{"editor": "editor"})}, cognito.ErrClaimRule},
		{"array, comma string not split", []cognito.ClaimRule{roles}, []cognitotest.TokenOption{with("custom:roles", "viewer,editor")}, cognito.ErrClaimRule},
		{"space-separated holding", []cognito.ClaimRule{plans}, []cognitotest.TokenOption{with("custom:plans", "basic pro")}, nil},
		{"space-separated, extra spaces", []cognito.ClaimRule{plans}, []cognitotest.TokenOption{with("custom:plans", "  pro  ")}, nil},
		{"space-separated, a prefix is not a value", []cognito.ClaimRule{plans}, []cognitotest.TokenOption{with("custom:plans", "professional")}, cognito.ErrClaimRule},
		{"space-separated, tab is not a separator", []cognito.ClaimRule{plans}, []cognitotest.TokenOption{with("custom:plans", "basic\tpro")}, cognito.ErrClaimRule},
		{"space-separated as an array", []cognito.ClaimRule{plans}, []cognitotest.TokenOption{with("custom:plans", []string{"pro"})}, cognito.ErrClaimRule},
		{"space-separated empty", []cognito.ClaimRule{plans}, []cognitotest.TokenOption{with("custom:plans", "")}, cognito.ErrClaimRule},
		{"amr holds mfa", []cognito.ClaimRule{mfa}, []cognitotest.TokenOption{cognitotest.WithAMR("pwd", "mfa")}, nil},
		{"amr without mfa", []cognito.ClaimRule{mfa}, []cognitotest.TokenOption{cognitotest.WithAMR("pwd")}, cognito.ErrClaimRule},
		{"every rule must hold", []cognito.ClaimRule{tenant, roles}, []cognitotest.TokenOption{with("custom:tenant", "acme"), with("custom:roles", []string{"viewer"})}, cognito.ErrClaimRule},
		{"all rules hold", []cognito.ClaimRule{tenant, roles, plans}, []cognitotest.TokenOption{with("custom:tenant", "acme"), with("custom:roles", []string{"editor"}), with("custom:plans", "pro")}, nil},
		{"two rules on one claim", []cognito.ClaimRule{tenant, {Name: "custom:tenant", Format: cognito.SingleString, Values: []string{"globex"}}}, []cognitotest.TokenOption{with("custom:tenant", "acme")}, cognito.ErrClaimRule},
		{"names match exactly", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("Custom:Tenant", "acme")}, cognito.ErrClaimRule},
		{"a built-in check comes first", []cognito.ClaimRule{tenant}, []cognitotest.TokenOption{with("custom:tenant", "initech"), with("client_id", "other")}, cognito.ErrClient},
		{"a rule on a built-in claim", []cognito.ClaimRule{{Name: "scope", Format: cognito.SpaceSeparated, Values: []string{"notes/read"}}}, []cognitotest.TokenOption{cognitotest.WithScopes("openid", "notes/read")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.ClaimRules = tc.rules })
			c, err := v.Verify(ctx, pool.AccessToken(tc.opts...))
			requireOutcome(t, tc.reason, c, err)
		})
	}
}

// A rule sees claims as the JSON decoder does: escaped names, escaped
// values, many claims, rules past the inline table.
func TestClaimRulesJSON(t *testing.T) {
	pool := newPool(t)
	claims := func(extra string) string {
		b := mustJSON(t, accessClaims(pool))
		return string(b[:len(b)-1]) + "," + extra + "}"
	}
	rule := func(name string, values ...string) cognito.ClaimRule {
		return cognito.ClaimRule{Name: name, Format: cognito.SingleString, Values: values}
	}
	cases := []struct {
		name   string
		rules  []cognito.ClaimRule
		extra  string
		reason error
	}{
		{"escaped name", []cognito.ClaimRule{rule("custom:tenant", "acme")}, `"custom:t\u0065nant":"acme"`, nil},
		{"escaped value", []cognito.ClaimRule{rule("custom:tenant", "ac\"me")}, `"custom:tenant":"ac\"me"`, nil},
		{"non-ASCII", []cognito.ClaimRule{rule("custom:city", "Zürich")}, `"custom:city":"Z\u00fcrich"`, nil},
		{"nested objects are skipped", []cognito.ClaimRule{rule("custom:tenant", "acme")}, `"x":{"custom:tenant":"acme"}`, cognito.ErrClaimRule},
		{"five rules", []cognito.ClaimRule{rule("a", "1"), rule("b", "2"), rule("c", "3"), rule("d", "4"), rule("e", "5")}, `"a":"1","b":"2","c":"3","d":"4","e":"5"`, nil},
		{"five rules, the last fails", []cognito.ClaimRule{rule("a", "1"), rule("b", "2"), rule("c", "3"), rule("d", "4"), rule("e", "5")}, `"a":"1","b":"2","c":"3","d":"4","e":"6"`, cognito.ErrClaimRule},
		{"array with null", []cognito.ClaimRule{{Name: "r", Format: cognito.StringArray, Values: []string{"x"}}}, `"r":["x",null]`, cognito.ErrClaimRule},
		{"array with spaces", []cognito.ClaimRule{{Name: "r", Format: cognito.StringArray, Values: []string{"x"}}}, `"r":[ "y" , "x" ]`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, pool, func(c *cognito.Config) { c.ClaimRules = tc.rules })
			c, err := v.Verify(ctx, signClaims(t, pool, claims(tc.extra)))
			requireOutcome(t, tc.reason, c, err)
		})
	}
}

// NewVerifier copies the rules: changing them afterwards changes nothing.
func TestClaimRulesCopied(t *testing.T) {
	pool := newPool(t)
	rules := []cognito.ClaimRule{{Name: "custom:tenant", Format: cognito.SingleString, Values: []string{"acme"}}}
	v := newVerifier(t, pool, func(c *cognito.Config) { c.ClaimRules = rules })
	rules[0].Values[0] = "initech"
	rules[0].Name = "other"
	_, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("custom:tenant", "acme")))
	require.NoError(t, err)
}

type tenantError struct{ tenant string }

func (e *tenantError) Error() string { return "tenant " + e.tenant + " is suspended" }

// Config.Check: its error is a rejection with its own reason, the error
// itself reachable; a could-not-decide error stays out of the rejection
// family; it runs only on tokens that passed every other check.
func TestCheck(t *testing.T) {
	pool := newPool(t)
	errSuspended := errors.New("suspended")
	down := fmt.Errorf("tenant table: %w", cognito.ErrKeysUnavailable)
	var calls atomic.Int64
	check := func(ctx context.Context, c *cognito.Claims) error {
		calls.Add(1)
		tenant, _ := c.StringClaim("custom:tenant")
		switch tenant {
		case "acme":
			return nil
		case "suspended":
			return &tenantError{tenant}
		case "down":
			return down
		case "slow":
			<-ctx.Done()
			return ctx.Err()
		}
		return errSuspended
	}
	v := newVerifier(t, pool, func(c *cognito.Config) { c.Check, c.TokenCacheSize = check, -1 })
	with := func(tenant string) string { return pool.AccessToken(cognitotest.WithClaim("custom:tenant", tenant)) }

	_, err := v.Verify(ctx, with("acme"))
	require.NoError(t, err)

	c, err := v.Verify(ctx, with("initech"))
	requireRejected(t, cognito.ErrCheck, c, err)
	assert.ErrorIs(t, err, errSuspended, "the check's error is reachable")

	c, err = v.Verify(ctx, with("suspended"))
	requireRejected(t, cognito.ErrCheck, c, err)
	var te *tenantError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "suspended", te.tenant)

	c, err = v.Verify(ctx, with("down"))
	requireUnavailable(t, c, err)
	assert.ErrorIs(t, err, down)

	cancelled, cancel := contextWithCancel()
	cancel()
	c, err = v.Verify(cancelled, with("slow"))
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, cognito.ErrInvalidToken, "a cancelled check is not a verdict on the token")
	assert.Nil(t, c)

	before := calls.Load()
	c, err = v.Verify(ctx, pool.AccessToken(cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.ExpiresIn(-time.Minute)))
	requireRejected(t, cognito.ErrExpired, c, err)
	c, err = v.Verify(ctx, pool.IDToken(cognitotest.WithClaim("custom:tenant", "acme")))
	requireRejected(t, cognito.ErrTokenUse, c, err)
	assert.Equal(t, before, calls.Load(), "never called for a token a built-in check rejected")
}

// Config.Check runs on every verified-token cache hit, so a change in the
// data it consults takes effect at once; what it does to the claims it
// gets changes nothing the cache keeps.
func TestCheckOnCacheHit(t *testing.T) {
	pool := newPool(t)
	var mu sync.Mutex
	suspended := map[string]bool{}
	var calls atomic.Int64
	v := newVerifier(t, pool, func(c *cognito.Config) {
		c.Check = func(_ context.Context, c *cognito.Claims) error {
			calls.Add(1)
			tenant, _ := c.StringClaim("custom:tenant")
			c.Groups = append(c.Groups, "admin") // the check's own copy
			c.ExpiresAt = c.ExpiresAt.Add(time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if suspended[tenant] {
				return errors.New("suspended")
			}
			return nil
		}
	})
	token := pool.AccessToken(cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithGroups("users"))
	first, err := v.Verify(ctx, token)
	require.NoError(t, err)

	mu.Lock()
	suspended["acme"] = true
	mu.Unlock()
	c, err := v.Verify(ctx, token)
	requireRejected(t, cognito.ErrCheck, c, err)

	mu.Lock()
	suspended["acme"] = false
	mu.Unlock()
	again, err := v.Verify(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), cognito.CacheHits(v), "the entry survives a failed check and answers the next call")
	assert.Equal(t, int64(3), calls.Load())
	assert.Equal(t, []string{"users", "admin"}, again.Groups, "each call's check edits that call's copy only")
	assert.Equal(t, first.ExpiresAt, again.ExpiresAt)
	assert.Equal(t, fixedNow.Add(2*time.Hour).Unix(), again.ExpiresAt.Unix())

}

// Every rule option is validated by NewVerifier.
func TestRuleConfigRejected(t *testing.T) {
	rule := func(name string, f cognito.ClaimFormat, values ...string) []cognito.ClaimRule {
		return []cognito.ClaimRule{{Name: name, Format: f, Values: values}}
	}
	cases := map[string]func(*cognito.Config){
		"Resources empty string":       func(c *cognito.Config) { c.Resources = []string{"https://api", ""} },
		"Resources with ID tokens":     func(c *cognito.Config) { c.TokenUse, c.Resources = cognito.IDToken, []string{"https://api"} },
		"Resources with AnyTokenUse":   func(c *cognito.Config) { c.TokenUse, c.Resources = cognito.AnyTokenUse, []string{"https://api"} },
		"Scopes with AnyTokenUse":      func(c *cognito.Config) { c.TokenUse, c.Scopes = cognito.AnyTokenUse, []string{"notes/read"} },
		"machines with ID tokens":      func(c *cognito.Config) { c.TokenUse, c.Principal = cognito.IDToken, cognito.MachinePrincipal },
		"unknown principal":            func(c *cognito.Config) { c.Principal = 7 },
		"negative MaxAuthAge":          func(c *cognito.Config) { c.MaxAuthAge = -time.Second },
		"ACRValues empty string":       func(c *cognito.Config) { c.ACRValues = []string{""} },
		"rule without a name":          func(c *cognito.Config) { c.ClaimRules = rule("", cognito.SingleString, "a") },
		"rule without a format":        func(c *cognito.Config) { c.ClaimRules = rule("custom:tenant", 0, "a") },
		"rule with an unknown format":  func(c *cognito.Config) { c.ClaimRules = rule("custom:tenant", 9, "a") },
		"rule without values":          func(c *cognito.Config) { c.ClaimRules = rule("custom:tenant", cognito.SingleString) },
		"rule with an empty value":     func(c *cognito.Config) { c.ClaimRules = rule("custom:tenant", cognito.SingleString, "acme", "") },
		"space-separated with a space": func(c *cognito.Config) { c.ClaimRules = rule("custom:plans", cognito.SpaceSeparated, "pro plus") },
		"rule on exp":                  func(c *cognito.Config) { c.ClaimRules = rule("exp", cognito.SingleString, "1") },
		"rule on auth_time":            func(c *cognito.Config) { c.ClaimRules = rule("auth_time", cognito.SingleString, "1") },
		"token use any, misspelt":      func(c *cognito.Config) { c.TokenUse = "both" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := validConfig()
			change(&cfg)
			v, err := cognito.NewVerifier(cfg)
			require.Error(t, err)
			assert.Nil(t, v)
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: invalid config: "), err.Error())
		})
	}
	// And what is accepted.
	for name, change := range map[string]func(*cognito.Config){
		"AnyTokenUse":               func(c *cognito.Config) { c.TokenUse = cognito.AnyTokenUse },
		"machines with AnyTokenUse": func(c *cognito.Config) { c.TokenUse, c.Principal = cognito.AnyTokenUse, cognito.MachinePrincipal },
		"users with ID tokens":      func(c *cognito.Config) { c.TokenUse, c.Principal = cognito.IDToken, cognito.UserPrincipal },
		"ACR with AnyTokenUse":      func(c *cognito.Config) { c.TokenUse, c.ACRValues = cognito.AnyTokenUse, []string{"urn:cognito:loa:2"} },
		"every rule kind": func(c *cognito.Config) {
			c.ClaimRules = append(rule("a", cognito.SingleString, "x"), rule("b", cognito.StringArray, "y z")...)
		},
		"resources with access token": func(c *cognito.Config) { c.Resources = []string{"https://api.example.com"} },
	} {
		cfg := validConfig()
		change(&cfg)
		_, err := cognito.NewVerifier(cfg)
		assert.NoError(t, err, name)
	}
}
