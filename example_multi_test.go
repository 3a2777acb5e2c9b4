package cognito_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// A multi-tenant service: the resolver looks the token's issuer up in the
// service's tenant table. An issuer that is not in it is rejected before
// anything is fetched from it.
func ExampleResolver() {
	acme := cognitotest.NewPool(cognitotest.WithPoolID("us-east-1_Acme"))
	defer acme.Close()
	stranger := cognitotest.NewPool(cognitotest.WithPoolID("us-east-1_Stranger"))
	defer stranger.Close()

	tenants := map[string]cognito.Config{acme.Issuer(): acme.Config()} // your tenant table
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{
		Resolver: func(ctx context.Context, issuer string) (cognito.Config, bool, error) {
			cfg, ok := tenants[issuer] // a database lookup: return its error, never "not found", when it fails
			return cfg, ok, nil
		},
	})
	if err != nil {
		panic(err)
	}

	claims, err := m.Verify(context.Background(), acme.AccessToken(cognitotest.WithUser("alice")))
	fmt.Println(claims.Username, err)
	_, err = m.Verify(context.Background(), stranger.AccessToken())
	fmt.Println(errors.Is(err, cognito.ErrIssuer), stranger.Requests())
	// Output:
	// alice <nil>
	// true 0
}

// Pools registered and removed while the service runs.
func ExampleMultiVerifier_Add() {
	pool := cognitotest.NewPool(cognitotest.WithPoolID("eu-west-1_Tenant1"))
	defer pool.Close()
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{})
	if err != nil {
		panic(err)
	}
	token := pool.AccessToken()

	_, err = m.Verify(context.Background(), token)
	fmt.Println(errors.Is(err, cognito.ErrIssuer))
	if err := m.Add(pool.Config()); err != nil {
		panic(err)
	}
	_, err = m.Verify(context.Background(), token)
	fmt.Println(err)
	m.Remove(pool.Issuer())
	_, err = m.Verify(context.Background(), token)
	fmt.Println(errors.Is(err, cognito.ErrIssuer))
	// Output:
	// true
	// <nil>
	// true
}
