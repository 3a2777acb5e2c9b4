package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// A refused token explained in a log line by what it claims to be: here a
// token of another user pool, the most common misconfiguration. The
// unverified claims only describe the refusal; Verify made it.
func ExampleParseUnverified() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	other := cognitotest.NewPool(cognitotest.WithPoolID("eu-west-1_OtherPool"))
	defer other.Close()
	v, _ := cognito.NewVerifier(pool.Config())

	token := other.AccessToken()
	_, err := v.Verify(context.Background(), token)
	if errors.Is(err, cognito.ErrInvalidToken) {
		if t, perr := cognito.ParseUnverified(token); perr == nil {
			fmt.Println("refused; unverified iss:", t.UnverifiedClaims().Issuer)
			fmt.Println("this verifier expects:  ", v.Issuer())
		}
	}
	// Output:
	// refused; unverified iss: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool
	// this verifier expects:   https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1
}

// Every check a token fails, each worded as Verify would word it. No key is
// fetched and no signature checked: an empty list proves nothing.
func ExampleVerifier_CheckUnverified() {
	now := func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }
	pool := cognitotest.NewPool(cognitotest.WithClock(now))
	defer pool.Close()
	v, _ := cognito.NewVerifier(pool.Config()) // access tokens of pool.ClientID, clock now
	token := pool.AccessToken(cognitotest.ExpiresIn(-time.Hour), cognitotest.WithClaim("client_id", "other-app"))

	t, err := cognito.ParseUnverified(token)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, err := range v.CheckUnverified(t) {
		fmt.Println(err)
	}
	// Output:
	// cognito: invalid token: token is expired: expired at 2026-11-30T11:00:00Z
	// cognito: invalid token: client mismatch: client_id "other-app" is not one of ["4f3kexampleappclient0000001"]
}
