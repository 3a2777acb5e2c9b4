// Package cognito verifies Amazon Cognito user pool tokens (access and ID
// tokens) and turns them into an API Gateway Lambda authorizer answer or an
// authenticated net/http request.
//
// A [Verifier] checks a token the way Cognito documents and RFC 8725
// recommends: a compact JWS signed with RS256 by a key of the configured
// pool's JWKS, then exp (required), nbf, iat, iss, token_use, the app client
// (client_id or aud), sub, and any required groups and scopes; then the
// rules a service adds: resource binding, users or machines, sign-in age
// and level (acr), claim rules and a check of its own (see [Config]).
// Build it once and share it; it caches the pool's keys.
//
//	v, err := cognito.NewVerifier(cognito.Config{
//		UserPoolID: "us-east-1_AbC123xyz",
//		ClientIDs:  []string{"4f3kexampleappclient"},
//		TokenUse:   cognito.AccessToken,
//	})
//	claims, err := v.Verify(ctx, token)
//	switch {
//	case errors.Is(err, cognito.ErrInvalidToken): // 401: rejected
//	case err != nil:                              // 5xx: could not decide
//	}
//
// In a Lambda authorizer, [Authorizer] answers API Gateway's TOKEN, REQUEST
// and HTTP API events: Allow for the token's sub, the exact error
// "Unauthorized" (401) for a bad token, another error (500) when the keys
// could not be fetched, and Deny (403) for a route the token lacks a group
// or scope for:
//
//	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	lambda.Start(a.Handle)
//
// To build a policy by hand, see [ParseMethodARN] and [NewAuthPolicyFromClaims].
//
// In a net/http server, put the handlers behind [Verifier.Middleware] and
// read the claims with [ClaimsFromContext]:
//
//	http.ListenAndServe(addr, v.Middleware(mux))
//
// Behind an Application Load Balancer that signs users in with the pool, an
// [ALBVerifier] verifies the x-amzn-oidc-data header the load balancer adds,
// with its ARN pinned, and returns the same [Claims].
//
// Package cognitotest provides a local fake user pool and load balancer for
// tests.
package cognito
