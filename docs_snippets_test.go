package cognito_test

// The README's and the package doc's snippets, line for line, so that the
// compiler checks them (TestDocSnippetsCompile finds each one here or in an
// Example). The functions are never called: the runnable versions are the
// Examples.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

func snippetQuickStart(ctx context.Context, token string) error {
	v, err := cognito.NewVerifier(cognito.Config{
		UserPoolID: "us-east-1_AbC123xyz",            // issuer and JWKS URL are derived from it
		ClientIDs:  []string{"4f3kexampleappclient"}, // client_id (access) or aud (ID) must be one of these
		TokenUse:   cognito.AccessToken,              // or cognito.IDToken, or cognito.AnyTokenUse for both
	})
	if err != nil {
		return err // invalid configuration; no network I/O happened
	}
	claims, err := v.Verify(ctx, token) // keys are fetched on first use and cached
	switch {
	case errors.Is(err, cognito.ErrInvalidToken): // 401: rejected (errors.Is(err, cognito.ErrExpired) … says why)
	case err != nil: // 500: could not decide (keys unavailable, ctx cancelled)
	default:
		fmt.Println(claims.Subject, claims.Username, claims.Groups, claims.Scopes)
	}
	return nil
}

func snippetDocVerify(ctx context.Context, token string) {
	v, err := cognito.NewVerifier(cognito.Config{
		UserPoolID: "us-east-1_AbC123xyz",
		ClientIDs:  []string{"4f3kexampleappclient"},
		TokenUse:   cognito.AccessToken,
	})
	claims, err := v.Verify(ctx, token)
	switch {
	case errors.Is(err, cognito.ErrInvalidToken): // 401: rejected
	case err != nil: // 5xx: could not decide
	}
	_ = claims
}

type noteStore interface {
	Create(ctx context.Context, user, note string) error
}

func snippetMiddleware(v *cognito.Verifier, store noteStore, note, addr string, admin http.Handler) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := cognito.ClaimsFromContext(r.Context()) // always present behind the middleware
		store.Create(r.Context(), claims.Subject, note)     // the user is the token's sub, never the body
	})
	http.ListenAndServe(addr, v.Middleware(mux))
	// Per route, without a second verifier:
	mux.Handle("DELETE /admin/", v.Middleware(admin, cognito.RequireGroups("admin"), cognito.RequireScopes("notes/admin")))
}

func snippetCognitotest(t *testing.T) {
	pool := cognitotest.NewTestPool(t)         // closed at the end of the test
	v, _ := cognito.NewVerifier(pool.Config()) // access tokens of pool.ClientID
	token := pool.AccessToken(cognitotest.WithUser("alice"), cognitotest.WithGroups("admin"))
	expired := pool.AccessToken(cognitotest.ExpiresIn(-time.Minute))
	forged := pool.AccessToken(cognitotest.WithClaim("client_id", "someone-else"))
	pool.FailJWKS(503) // key endpoint faults: also HangJWKS, SetJWKSHandler, RotateKeys; JWKSRequests counts
	_, _, _, _ = v, token, expired, forged
}

func snippetEmulator() cognito.Config {
	cfg := cognito.Config{
		UserPoolID: "local_5Zt3Yqma",
		ClientIDs:  []string{"local-client"},
		TokenUse:   cognito.AccessToken,
		Issuer:     "http://localhost:9229/local_5Zt3Yqma",
		JWKSURL:    "http://localhost:9229/local_5Zt3Yqma/.well-known/jwks.json",
	}
	return cfg
}

func snippetALB(ctx context.Context, r *http.Request, v *cognito.Verifier, addr string, mux *http.ServeMux) {
	albv, err := cognito.NewALBVerifier(cognito.ALBConfig{
		LoadBalancerARNs: []string{"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"},
		UserPoolID:       "eu-west-1_AbC123xyz",            // iss: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz
		ClientIDs:        []string{"4f3kexampleappclient"}, // the listener rule's app client: the header's client
	})
	claims, err := albv.Verify(ctx, r.Header.Get("x-amzn-oidc-data")) // errors as for Verifier: 401 or 500
	_, _ = claims, err

	http.ListenAndServe(addr, cognito.Middleware(albv, mux, cognito.WithTokenHeader("x-amzn-oidc-data")))

	user, err := albv.Verify(ctx, r.Header.Get("x-amzn-oidc-data"))
	// … 401 or 500 as usual, then:
	access, err := v.Verify(ctx, r.Header.Get("x-amzn-oidc-accesstoken")) // a Verifier with TokenUse: cognito.AccessToken
	// … 401 or 500 as usual; then both must be the same user:
	if access.Subject != user.Subject {
		// 401: two users' tokens in one request
	}
	_ = err
}

type snippetTenant struct {
	PoolID    string
	ClientIDs []string
}

type snippetTenants interface {
	ByIssuer(ctx context.Context, issuer string) (snippetTenant, error)
}

var ErrNoSuchTenant = errors.New("no such tenant")

func snippetMultiTenant(tenants snippetTenants, cfg cognito.Config, issuer, addr string, mux *http.ServeMux) {
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{
		// Optional: the service's tenant table, asked for an issuer no registered pool accepts.
		Resolver: func(ctx context.Context, issuer string) (cognito.Config, bool, error) {
			t, err := tenants.ByIssuer(ctx, issuer)
			switch {
			case errors.Is(err, ErrNoSuchTenant):
				return cognito.Config{}, false, nil // not a tenant: 401
			case err != nil:
				return cognito.Config{}, false, err // the table is down: 500, never 401
			}
			return cognito.Config{UserPoolID: t.PoolID, ClientIDs: t.ClientIDs, TokenUse: cognito.AccessToken}, true, nil
		},
	})
	err = m.Add(cfg)            // register a pool while verifying; an issuer already registered is an error
	err = m.Replace(cfg)        // new rules for a registered pool; fetched keys carry over
	removed := m.Remove(issuer) // unregister a pool, or forget what the resolver said about issuer
	http.ListenAndServe(addr, m.Middleware(mux))
	_, _ = err, removed
}

func snippetClaimRules() cognito.Config {
	return cognito.Config{
		ClaimRules: []cognito.ClaimRule{
			{Name: "custom:tenant", Format: cognito.SingleString, Values: []string{"acme", "globex"}}, // equals one
			{Name: "custom:roles", Format: cognito.StringArray, Values: []string{"editor"}},           // array holds one
			{Name: "custom:plans", Format: cognito.SpaceSeparated, Values: []string{"pro"}},           // "basic pro" holds one
		},
	}
}
