// Command notes-lambda is the seed's Notes service as a Lambda function
// behind API Gateway (proxy integration) and the cognito Lambda
// authorizer: POST /notes, GET /notes, GET /notes/{noteid} and
// DELETE /notes/{noteid}, stored in DynamoDB under the caller's user ID.
//
// The user ID comes only from what the authorizer established:
// requestContext.authorizer.principalId (REST APIs) or
// requestContext.authorizer.lambda.sub (HTTP APIs), the token's sub. Never
// from the request body, path or headers.
//
// Configuration: NOTES_TABLE (default Notes), the standard AWS
// configuration chain, DYNAMODB_ENDPOINT for a local server.
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./examples/notes-lambda
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
	"github.com/cognito-verify/cognito/examples/notes/proxy"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	store, err := dynamo.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(proxy.New(store, log).Handle)
}
