package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// A tenant rule in Config instead of a hand-written check after Verify.
func ExampleClaimRule() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	cfg := pool.Config()
	cfg.ClaimRules = []cognito.ClaimRule{
		{Name: "custom:tenant", Format: cognito.SingleString, Values: []string{"acme"}},
		{Name: "amr", Format: cognito.StringArray, Values: []string{"mfa"}},
	}
	v, _ := cognito.NewVerifier(cfg)

	ok := pool.AccessToken(cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithAMR("pwd", "mfa"))
	other := pool.AccessToken(cognitotest.WithClaim("custom:tenant", "globex"), cognitotest.WithAMR("pwd", "mfa"))
	_, err := v.Verify(context.Background(), ok)
	fmt.Println(err)
	_, err = v.Verify(context.Background(), other)
	fmt.Println(errors.Is(err, cognito.ErrInvalidToken), errors.Is(err, cognito.ErrClaimRule))
	// Output:
	// <nil>
	// true true
}

// A check against the service's own data, run on every Verify including
// verified-token cache hits, so a suspended tenant is refused at once.
func ExampleConfig_check() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	suspended := map[string]bool{"globex": true} // a tenant table; guard it if it changes concurrently
	errSuspended := errors.New("tenant suspended")

	cfg := pool.Config()
	cfg.Check = func(ctx context.Context, c *cognito.Claims) error {
		tenant, _ := c.StringClaim("custom:tenant")
		if suspended[tenant] {
			return errSuspended
		}
		return nil
	}
	v, _ := cognito.NewVerifier(cfg)
	_, err := v.Verify(context.Background(), pool.AccessToken(cognitotest.WithClaim("custom:tenant", "globex")))
	fmt.Println(errors.Is(err, cognito.ErrCheck), errors.Is(err, errSuspended))
	// Output: true true
}

// One verifier for both token kinds; a route for people refuses
// machine-to-machine tokens.
func ExampleClaims_IsMachine() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	cfg := pool.Config()
	cfg.TokenUse = cognito.AnyTokenUse
	v, _ := cognito.NewVerifier(cfg)

	for _, token := range []string{pool.AccessToken(), pool.IDToken(), pool.MachineToken(cognitotest.WithScopes("orders/read"))} {
		c, _ := v.Verify(context.Background(), token)
		fmt.Println(c.TokenUse, c.IsMachine(), c.Scopes)
	}
	// Output:
	// access false [aws.cognito.signin.user.admin]
	// id false []
	// access true [orders/read]
}

// A sensitive route asks for a recent, strong sign-in; the refusal is RFC
// 9470's step-up challenge, which tells the client what to ask Cognito for
// (acr_values, max_age).
func ExampleRequireACR() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	v, _ := cognito.NewVerifier(pool.Config())
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "paid") })
	pay := v.Middleware(ok, cognito.RequireACR("urn:cognito:loa:3"), cognito.RequireAuthAge(5*time.Minute))

	for _, token := range []string{
		pool.AccessToken(cognitotest.WithACR("urn:cognito:loa:1")),
		pool.AccessToken(cognitotest.WithACR("urn:cognito:loa:3"), cognitotest.AuthenticatedAgo(time.Hour)),
		pool.AccessToken(cognitotest.WithACR("urn:cognito:loa:3")),
	} {
		r := httptest.NewRequest("POST", "/pay", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		pay.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// 401 Bearer error="insufficient_user_authentication", error_description="authentication level not accepted", acr_values="urn:cognito:loa:3"
	// 401 Bearer error="insufficient_user_authentication", error_description="authentication too old", max_age="300"
	// 200
}
