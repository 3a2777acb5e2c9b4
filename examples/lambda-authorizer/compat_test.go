package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
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
	simple, _ := json.Marshal(cognito.NewSimpleResponse(&cognito.Claims{Subject: "s", TokenUse: cognito.AccessToken, Groups: []string{"a,b"}}))
	theirsSimple, _ := json.Marshal(events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{
		"sub": "s", "username": "", "groups": `["a,b"]`, "scopes": "[]", "aud": "[]", "acr": "", "amr": "[]", "iss": "", "client_id": "", "token_use": "access",
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

// aws-lambda-go's own authorizer events, as its types marshal them, decode
// into the library's event types field for field, and Handle answers them.
func TestEventsFromAWSLambdaGo(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/notes/42"
	token := events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer t", MethodArn: arn}
	var ourToken cognito.TokenEvent
	decode(t, token, &ourToken)
	assert.Equal(t, cognito.TokenEvent{Type: "TOKEN", AuthorizationToken: "Bearer t", MethodARN: arn}, ourToken)

	request := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: arn, Resource: "/notes/{noteid}", Path: "/notes/42", HTTPMethod: "GET",
		Headers:           map[string]string{"Authorization": "Bearer t", "Host": "x"},
		MultiValueHeaders: map[string][]string{"Authorization": {"Bearer t"}},
		PathParameters:    map[string]string{"noteid": "42"},
		RequestContext:    events.APIGatewayCustomAuthorizerRequestTypeRequestContext{Stage: "prod", APIID: "a1b2c3d4e5"},
	}
	var ourRequest cognito.RequestEvent
	decode(t, request, &ourRequest)
	assert.Equal(t, cognito.RequestEvent{Type: "REQUEST", MethodARN: arn, Headers: request.Headers, MultiValueHeaders: request.MultiValueHeaders}, ourRequest)

	v1 := events.APIGatewayV2CustomAuthorizerV1Request{Version: "1.0", Type: "REQUEST", MethodArn: arn,
		Headers: map[string]string{"authorization": "Bearer t"}, IdentitySource: "Bearer t"}
	var ourV1 cognito.RequestEvent
	decode(t, v1, &ourV1)
	assert.Equal(t, cognito.RequestEvent{Type: "REQUEST", Version: "1.0", MethodARN: arn, Headers: v1.Headers}, ourV1)

	const route = "arn:aws:execute-api:us-east-1:123456789012:f6g7h8i9j0/$default/POST/notes"
	v2 := events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST", RouteArn: route, RouteKey: "POST /notes",
		RawPath: "/notes", IdentitySource: []string{"Bearer t"}, Headers: map[string]string{"authorization": "Bearer t"}}
	var ourV2 cognito.HTTPAPIEvent
	decode(t, v2, &ourV2)
	assert.Equal(t, cognito.HTTPAPIEvent{Version: "2.0", Type: "REQUEST", RouteARN: route, Headers: v2.Headers}, ourV2)

	// Handle tells the four apart and answers each in aws-lambda-go's
	// response shape.
	pool := cognitotest.NewTestPool(t)
	v, err := cognito.NewVerifier(pool.Config())
	require.NoError(t, err)
	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{})
	require.NoError(t, err)
	bearer := "Bearer " + pool.AccessToken(cognitotest.WithUser("alice"))
	token.AuthorizationToken = bearer
	request.Headers["Authorization"], request.MultiValueHeaders["Authorization"] = bearer, []string{bearer}
	v1.Headers["authorization"] = bearer
	v2.Headers["authorization"] = bearer
	for name, ev := range map[string]any{"TOKEN": token, "REQUEST": request, "HTTP API 1.0": v1} {
		var resp events.APIGatewayCustomAuthorizerResponse
		handle(t, a, ev, &resp)
		assert.Equal(t, pool.Subject("alice"), resp.PrincipalID, name)
		require.Len(t, resp.PolicyDocument.Statement, 1, name)
		assert.Equal(t, events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: "Allow",
			Resource: []string{"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/*/*"}}, resp.PolicyDocument.Statement[0], name)
		assert.Equal(t, "alice", resp.Context["username"], name)
		assert.Equal(t, `["aws.cognito.signin.user.admin"]`, resp.Context["scopes"], name)
	}
	var simple events.APIGatewayV2CustomAuthorizerSimpleResponse
	handle(t, a, v2, &simple)
	assert.True(t, simple.IsAuthorized)
	assert.Equal(t, pool.Subject("alice"), simple.Context["sub"])
}

func decode(t *testing.T, from, into any) {
	t.Helper()
	b, err := json.Marshal(from)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, into))
}

// handle passes ev, as aws-lambda-go marshals it, to a.Handle and decodes
// the answer into resp, as the Lambda runtime would.
func handle(t *testing.T, a *cognito.Authorizer, ev, resp any) {
	t.Helper()
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	out, err := a.Handle(context.Background(), raw)
	require.NoError(t, err)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(resp), "every member has a field in aws-lambda-go's type")
}
