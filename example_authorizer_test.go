package cognito_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
)

// A Lambda authorizer in full: in a function's main, the last line is
// lambda.Start(a.Handle) (aws-lambda-go). Here the event API Gateway sends
// a REST TOKEN authorizer is handed to it directly.
func ExampleAuthorizer() {
	pool := cognitotest.NewPool() // stands in for Cognito; use your pool ID below
	defer pool.Close()
	v, err := cognito.NewVerifier(pool.Config())
	if err != nil {
		panic(err)
	}
	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)), // CloudWatch reads stdout or stderr
	})
	if err != nil {
		panic(err)
	}
	// lambda.Start(a.Handle)

	event := json.RawMessage(`{"type":"TOKEN","authorizationToken":"Bearer ` + pool.AccessToken(cognitotest.WithUser("alice")) + `",
		"methodArn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/notes"}`)
	resp, err := a.Handle(context.Background(), event)
	fmt.Println(err)
	policy := resp.(cognito.AuthorizerResponse)
	fmt.Println(policy.PrincipalID, policy.PolicyDocument.Statement[0].Effect, policy.PolicyDocument.Statement[0].Resource)

	_, err = a.Handle(context.Background(), json.RawMessage(`{"type":"TOKEN","authorizationToken":"Bearer expired-or-forged",
		"methodArn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/POST/notes"}`))
	fmt.Println(err) // API Gateway answers 401
	// Output:
	// <nil>
	// 2541d352-5d5f-447a-8b58-d0d6ca01f29b Allow [arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*]
	// Unauthorized
}

// Per-route requirements on one verifier: deleting notes needs the admin
// group. The policy allows the stage and denies the routes the token does
// not meet (API Gateway answers 403 there), so it is right for every method
// however long API Gateway caches it.
func ExampleAuthorizerConfig_routes() {
	pool := cognitotest.NewPool()
	defer pool.Close()
	v, _ := cognito.NewVerifier(pool.Config())
	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{Routes: []cognito.Route{
		{Method: "DELETE", Resource: "/notes/*", Groups: []string{"admin"}},
	}})
	if err != nil {
		panic(err)
	}
	resp, _ := a.HandleToken(context.Background(), cognito.TokenEvent{
		Type:               "TOKEN",
		AuthorizationToken: pool.AccessToken(cognitotest.WithUser("bob"), cognitotest.WithGroups("readers")),
		MethodARN:          "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/notes",
	})
	for _, s := range resp.PolicyDocument.Statement {
		fmt.Println(s.Effect, s.Resource)
	}
	fmt.Println(resp.Context["groups"])
	// Output:
	// Allow [arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*]
	// Deny [arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/DELETE/notes/*]
	// ["readers"]
}
