package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// Verify the x-amzn-oidc-data header an Application Load Balancer adds to
// each request it authenticated, with the load balancer pinned. A fake,
// local load balancer and key server stand in for AWS here; in production
// the configuration names your load balancer's ARN, user pool and app
// client.
func ExampleALBVerifier() {
	alb := cognitotest.NewALB()
	defer alb.Close()

	v, err := cognito.NewALBVerifier(alb.Config()) // LoadBalancerARNs, UserPoolID, ClientIDs
	if err != nil {
		panic(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := v.Verify(r.Context(), r.Header.Get("x-amzn-oidc-data"))
		switch {
		case errors.Is(err, cognito.ErrInvalidToken):
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		case err != nil: // the load balancer's key could not be fetched
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		name, _ := claims.StringClaim("name")
		fmt.Fprintln(w, claims.Username, claims.Email, claims.EmailVerified, name)
	})

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("x-amzn-oidc-data", alb.Token(cognitotest.WithUser("alice")))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Print(rec.Body.String())

	// ALBeast: a token the region's key signed for another load balancer
	// is refused before its key is even fetched.
	theirs := "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/theirs/fedcba9876543210"
	_, err = v.Verify(context.Background(), alb.Token(cognitotest.WithHeader("signer", theirs)))
	fmt.Println(errors.Is(err, cognito.ErrSigner), alb.KeyRequests())
	// Output:
	// alice alice@example.com true alice
	// true 1
}
