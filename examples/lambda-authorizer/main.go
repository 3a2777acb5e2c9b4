// Command lambda-authorizer is an API Gateway Lambda authorizer: it lets a
// request through only with a valid access (or ID) token of one Cognito user
// pool, and gives the backend the token's claims as $context.authorizer.*.
// All of it is cognito.Authorizer; this is the wiring.
//
// It answers REST TOKEN and REQUEST authorizers, and HTTP API authorizers of
// payload 1.0 (IAM policy) and 2.0 (simple responses): "Unauthorized" (401)
// for a bad token, another error (500) when the keys cannot be fetched, never
// an Allow when unsure. Configuration: the COGNITO_ variables of package
// envconfig (COGNITO_USER_POOL_ID, COGNITO_CLIENT_IDS, COGNITO_TOKEN_USE,
// COGNITO_JWKS_FILE for keys shipped with the function). Build for the
// provided.al2023 runtime:
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
	"github.com/cognito-verify/cognito/envconfig"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := envconfig.Load(os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	// Fetch the keys in the init phase; a failure is retried on the first request.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := v.Warm(ctx); err != nil {
		log.Error("fetching the pool's keys", "error", err)
	}
	cancel()
	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{Logger: log})
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(a.Handle)
}
