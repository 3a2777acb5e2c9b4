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
// In a Lambda authorizer, answer API Gateway with a policy for the token's
// sub ([ParseMethodARN], [NewAuthPolicyFromClaims]):
//
//	token, _ := cognito.BearerToken(ev.AuthorizationToken)
//	claims, err := v.Verify(ctx, token)
//	if errors.Is(err, cognito.ErrInvalidToken) {
//		return nil, errors.New("Unauthorized")
//	}
//	if err != nil {
//		return nil, err // API Gateway answers 500
//	}
//	arn, err := cognito.ParseMethodARN(ev.MethodArn)
//	return cognito.NewAuthPolicyFromClaims(claims, arn).AllowAllMethods().Build()
//
// In a net/http server, put the handlers behind [Verifier.Middleware] and
// read the claims with [ClaimsFromContext]:
//
//	http.ListenAndServe(addr, v.Middleware(mux))
//
// Package cognitotest provides a local fake user pool for tests.
package cognito
