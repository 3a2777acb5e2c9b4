// Command lambda-authorizer is an API Gateway Lambda authorizer that lets a
// request through only with a valid access (or ID) token of one Cognito user
// pool, and passes the token's sub, username, groups, scope, client_id and
// token_use to the backend as $context.authorizer.*.
//
// It answers REST TOKEN authorizers (the Authorization header in
// authorizationToken), REST REQUEST authorizers and HTTP API payload 1.0
// (the Authorization header), and HTTP API payload 2.0 with simple
// responses. A rejected token gets the error "Unauthorized" (401; for
// simple responses isAuthorized false, 403); a verifier that cannot get the
// pool's keys gets another error (500), never an Allow.
//
// Configuration, read once at start-up:
//
//	COGNITO_USER_POOL_ID  us-east-1_AbC123xyz (required)
//	COGNITO_CLIENT_IDS    comma-separated app client IDs (required)
//	COGNITO_TOKEN_USE     access (default) or id
//	COGNITO_JWKS_FILE     a saved jwks.json shipped with the function: keys are never fetched
//
// Build for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./examples/lambda-authorizer
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/examples/internal/envconfig"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	a, err := newAuthorizer(os.Getenv, log)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	// Fetch the keys during the init phase so the first request does not
	// wait for them; a failure here is retried on the first request.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if v, ok := a.v.(*cognito.Verifier); ok {
		if err := v.Warm(ctx); err != nil {
			log.Error("warming the key cache", "error", err)
		}
	}
	cancel()
	lambda.Start(a.handle)
}

func newAuthorizer(getenv func(string) string, log *slog.Logger) (*authorizer, error) {
	cfg, err := envconfig.Load(getenv)
	if err != nil {
		return nil, err
	}
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		return nil, err
	}
	return &authorizer{v: v, log: log}, nil
}
