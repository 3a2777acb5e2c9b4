package main

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognito-verify/cognito"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The library's response types marshal to exactly the JSON of aws-lambda-go's
// events types for the same answer, so either can be returned to API
// Gateway. (aws-lambda-go has no Condition; the library adds it.)
func TestResponsesMatchAWSLambdaGo(t *testing.T) {
	arn, err := cognito.ParseMethodARN("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/notes")
	require.NoError(t, err)
	ours, err := cognito.NewAuthPolicy("user-1", arn).
		AllowMethod("GET", "/notes").AllowMethod("POST", "notes").DenyMethod("DELETE", "/notes/*").
		WithContext("tier", "gold").WithContext("quota", 5).WithContext("beta", true).
		WithUsageIdentifierKey("key-1").Build()
	require.NoError(t, err)

	prefix := "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/"
	theirs := events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "user-1",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{
				{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{prefix + "GET/notes", prefix + "POST/notes"}},
				{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{prefix + "DELETE/notes/*"}},
			},
		},
		Context:            map[string]any{"tier": "gold", "quota": 5, "beta": true},
		UsageIdentifierKey: "key-1",
	}
	a, err := json.Marshal(ours)
	require.NoError(t, err)
	b, err := json.Marshal(theirs)
	require.NoError(t, err)
	assert.Equal(t, string(b), string(a), "byte-identical JSON")

	// Without context and usage key both omit the members.
	ours, err = cognito.NewAuthPolicy("p", arn).DenyAllMethods().Build()
	require.NoError(t, err)
	theirs = events.APIGatewayCustomAuthorizerResponse{PrincipalID: "p", PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
		Version:   "2012-10-17",
		Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Deny", Resource: []string{prefix + "*/*"}}},
	}}
	a, _ = json.Marshal(ours)
	b, _ = json.Marshal(theirs)
	assert.Equal(t, string(b), string(a))

	// HTTP API simple responses.
	simple, _ := json.Marshal(cognito.NewSimpleResponse(&cognito.Claims{Subject: "s", TokenUse: cognito.AccessToken}))
	theirsSimple, _ := json.Marshal(events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{
		"sub": "s", "username": "", "groups": "", "scope": "", "client_id": "", "token_use": "access",
	}})
	assert.Equal(t, string(theirsSimple), string(simple))
	denied, _ := json.Marshal(cognito.NewSimpleResponse(nil))
	theirsDenied, _ := json.Marshal(events.APIGatewayV2CustomAuthorizerSimpleResponse{})
	assert.Equal(t, string(theirsDenied), string(denied))

	// The library's JSON decodes into aws-lambda-go's type without loss.
	var back events.APIGatewayCustomAuthorizerResponse
	require.NoError(t, json.Unmarshal(a, &back))
	assert.Equal(t, theirs, back)
}
