package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognito-verify/cognito"
)

// errUnauthorized is the exact error API Gateway maps to 401.
var errUnauthorized = errors.New("Unauthorized")

// errCannotDecide is any other error: API Gateway answers 500, and the
// request is not let through.
var errCannotDecide = errors.New("authorizer could not verify the token")

// authorizer answers API Gateway's three Lambda authorizer events with one
// verifier. It is safe for concurrent use.
type authorizer struct {
	v   cognito.TokenVerifier
	log *slog.Logger
}

// handle dispatches on the event's shape: a REST TOKEN authorizer, a REST
// REQUEST authorizer (or HTTP API payload 1.0), or an HTTP API payload 2.0
// authorizer with simple responses.
func (a *authorizer) handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Version string `json:"version"`
		Type    string `json:"type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("authorizer: event is not a JSON object: %w", err)
	}
	switch {
	case probe.Type == "TOKEN":
		var ev events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("authorizer: TOKEN event: %w", err)
		}
		return orNil(a.token(ctx, ev))
	case probe.Type == "REQUEST" && probe.Version == "2.0":
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("authorizer: HTTP API 2.0 event: %w", err)
		}
		return orNil(a.simple(ctx, ev))
	case probe.Type == "REQUEST":
		var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("authorizer: REQUEST event: %w", err)
		}
		return orNil(a.request(ctx, ev))
	}
	return nil, fmt.Errorf("authorizer: unsupported event (type %q, version %q)", probe.Type, probe.Version)
}

// orNil drops the response when there is an error, so the runtime reports
// only the error.
func orNil[T any](resp T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// token answers a REST TOKEN authorizer: authorizationToken holds the
// Authorization header as the client sent it.
func (a *authorizer) token(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequest) (cognito.AuthorizerResponse, error) {
	return a.policy(ctx, ev.AuthorizationToken, ev.MethodArn)
}

// request answers a REST REQUEST authorizer, reading the Authorization
// header (any case).
func (a *authorizer) request(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (cognito.AuthorizerResponse, error) {
	return a.policy(ctx, header(ev.Headers, "Authorization"), ev.MethodArn)
}

func (a *authorizer) policy(ctx context.Context, authz, methodArn string) (cognito.AuthorizerResponse, error) {
	arn, err := cognito.ParseMethodARN(methodArn)
	if err != nil {
		a.log.ErrorContext(ctx, "bad methodArn", "error", err)
		return cognito.AuthorizerResponse{}, errCannotDecide
	}
	claims, err := a.verify(ctx, authz)
	if err != nil {
		return cognito.AuthorizerResponse{}, err
	}
	resp, err := cognito.NewAuthPolicyFromClaims(claims, arn).AllowAllMethods().Build()
	if err != nil {
		a.log.ErrorContext(ctx, "building the policy", "error", err)
		return cognito.AuthorizerResponse{}, errCannotDecide
	}
	return resp, nil
}

// simple answers an HTTP API payload 2.0 authorizer with a simple response.
// A rejected token is {"isAuthorized": false} (API Gateway answers 403);
// only a verifier that could not decide is an error (500).
func (a *authorizer) simple(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (cognito.SimpleResponse, error) {
	claims, err := a.verify(ctx, header(ev.Headers, "Authorization"))
	switch {
	case errors.Is(err, errUnauthorized):
		return cognito.NewSimpleResponse(nil), nil
	case err != nil:
		return cognito.SimpleResponse{}, err
	}
	return cognito.NewSimpleResponse(claims), nil
}

// verify returns the claims, errUnauthorized for a rejected or missing
// token, or errCannotDecide.
func (a *authorizer) verify(ctx context.Context, authz string) (*cognito.Claims, error) {
	token, ok := cognito.BearerToken(authz)
	if !ok {
		a.log.InfoContext(ctx, "no token")
		return nil, errUnauthorized
	}
	claims, err := a.v.Verify(ctx, token)
	switch {
	case err == nil && claims != nil:
		a.log.InfoContext(ctx, "allowed", "sub", claims.Subject, "client_id", claims.ClientID)
		return claims, nil
	case errors.Is(err, cognito.ErrKeysUnavailable) || err == nil:
		a.log.ErrorContext(ctx, "could not verify", "error", fmt.Sprint(err))
		return nil, errCannotDecide
	case errors.Is(err, cognito.ErrInvalidToken):
		a.log.InfoContext(ctx, "rejected", "error", err.Error())
		return nil, errUnauthorized
	default:
		a.log.ErrorContext(ctx, "could not verify", "error", err.Error())
		return nil, errCannotDecide
	}
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
