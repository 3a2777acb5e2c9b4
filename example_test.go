package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// Verify an access token of a (fake, local) user pool: signature, issuer,
// token_use, client and expiry in one call.
func Example() {
	pool := cognitotest.NewPool() // stands in for Cognito; use your pool ID below
	defer pool.Close()

	v, err := cognito.NewVerifier(pool.Config()) // UserPoolID, ClientIDs, TokenUse: cognito.AccessToken
	if err != nil {
		panic(err)
	}
	token := pool.AccessToken(cognitotest.WithUser("alice"), cognitotest.WithGroups("editors"))

	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.Subject, claims.Username, claims.HasGroup("editors"))
	// Output: 2541d352-5d5f-447a-8b58-d0d6ca01f29b alice true
}

// One errors.Is tells a rejected token (401) from a verifier that could not
// decide (5xx); the specific sentinels say why.
func ExampleVerifier_Verify_errors() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	v, _ := cognito.NewVerifier(pool.Config())

	_, err := v.Verify(context.Background(), pool.AccessToken(cognitotest.ExpiresIn(-time.Minute)))
	fmt.Println(errors.Is(err, cognito.ErrInvalidToken), errors.Is(err, cognito.ErrExpired))

	pool.FailJWKS(503) // a fresh verifier cannot get keys
	v, _ = cognito.NewVerifier(pool.Config())
	_, err = v.Verify(context.Background(), pool.AccessToken())
	fmt.Println(errors.Is(err, cognito.ErrInvalidToken), errors.Is(err, cognito.ErrKeysUnavailable))
	// Output:
	// true true
	// false true
}

// Keys downloaded once and shipped with the program: the verifier never
// fetches, so a Lambda needs no network access to Cognito.
func ExampleConfig_jwks() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	jwks := pool.JWKS() // in production: the saved https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json

	v, err := cognito.NewVerifier(cognito.Config{
		UserPoolID: pool.PoolID,
		ClientIDs:  []string{pool.ClientID},
		TokenUse:   cognito.AccessToken,
		JWKS:       jwks,
	})
	if err != nil {
		panic(err)
	}
	_, err = v.Verify(context.Background(), pool.AccessToken())
	fmt.Println(err, pool.Requests())
	// Output: <nil> 0
}

// Custom attributes and any other claim are read from the verified payload.
func ExampleClaims_Decode() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	cfg := pool.Config()
	cfg.TokenUse = cognito.IDToken
	v, _ := cognito.NewVerifier(cfg)

	claims, err := v.Verify(context.Background(), pool.IDToken(cognitotest.WithClaim("custom:tenant", "acme")))
	if err != nil {
		panic(err)
	}
	var attrs struct {
		Tenant string `json:"custom:tenant"`
	}
	if err := claims.Decode(&attrs); err != nil {
		panic(err)
	}
	fmt.Println(claims.Email, attrs.Tenant)
	// Output: alice@example.com acme
}

// The seed's authorizer flow: verify the token, parse the methodArn, and
// allow the API stage for the token's sub.
func ExampleNewAuthPolicyFromClaims() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	v, _ := cognito.NewVerifier(pool.Config())

	// What API Gateway sends a TOKEN authorizer.
	methodArn := "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/notes"
	token := pool.AccessToken(cognitotest.WithUser("alice"))

	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		panic(err) // in a Lambda: return errors.New("Unauthorized")
	}
	arn, err := cognito.ParseMethodARN(methodArn)
	if err != nil {
		panic(err)
	}
	resp, err := cognito.NewAuthPolicyFromClaims(claims, arn).AllowAllMethods().Build()
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.PrincipalID)
	fmt.Println(resp.PolicyDocument.Statement[0].Effect, resp.PolicyDocument.Statement[0].Resource)
	fmt.Println(resp.Context["username"], resp.Context["token_use"])
	// Output:
	// 2541d352-5d5f-447a-8b58-d0d6ca01f29b
	// Allow [arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*]
	// alice access
}

func ExampleMethodARN_For() {
	arn, _ := cognito.ParseMethodARN("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/notes/42")
	del, _ := arn.For("DELETE", "notes/*")
	fmt.Println(del)
	fmt.Println(arn.Wildcard())
	// Output:
	// arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/DELETE/notes/*
	// arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*
}
