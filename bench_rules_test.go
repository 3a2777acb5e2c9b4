package cognito_test

import (
	"context"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// BenchmarkVerifyRules is the cost of the rule options when they are used
// (BenchmarkVerify has none set): every rule on a fresh token, and on a
// cache hit the ones that run again there (MaxAuthAge and Check).
func BenchmarkVerifyRules(b *testing.B) {
	pool := newPool(b)
	const api = "https://api.example.com"
	rules := func(c *cognito.Config) {
		c.Resources = []string{api}
		c.Principal = cognito.UserPrincipal
		c.MaxAuthAge = time.Hour
		c.ACRValues = []string{"urn:cognito:loa:2"}
		c.ClaimRules = []cognito.ClaimRule{
			{Name: "custom:tenant", Format: cognito.SingleString, Values: []string{"acme"}},
			{Name: "amr", Format: cognito.StringArray, Values: []string{"mfa"}},
		}
		c.Check = func(context.Context, *cognito.Claims) error { return nil }
	}
	token := pool.AccessToken(cognitotest.WithGroups("users"), cognitotest.WithResource(api), cognitotest.WithACR("urn:cognito:loa:2"),
		cognitotest.WithAMR("pwd", "mfa"), cognitotest.WithClaim("custom:tenant", "acme"))
	run := func(v *cognito.Verifier) func(b *testing.B) {
		return func(b *testing.B) {
			if _, err := v.Verify(ctx, token); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("fresh-all-rules", run(newVerifier(b, pool, rules, func(c *cognito.Config) { c.TokenCacheSize = -1 })))
	b.Run("cache-hit-all-rules", run(newVerifier(b, pool, rules)))
	b.Run("cache-hit-check-only", run(newVerifier(b, pool, func(c *cognito.Config) {
		c.Check = func(context.Context, *cognito.Claims) error { return nil }
	})))
}
