package main

// The README's and the package doc's Lambda snippets, line for line, so that
// the compiler checks them (the root package's TestDocSnippetsCompile finds
// them here). Never called: main.go is the function, and the root package's
// ExampleAuthorizer runs the same wiring offline.

import (
	"log"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cognito-verify/cognito"
)

func snippetREADME(cfg cognito.Config) {
	v, err := cognito.NewVerifier(cfg) // once, at init: the key cache lives as long as the function
	if err != nil {
		log.Fatal(err) // a configuration error fails the init phase; never serve with a nil verifier
	}
	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{
		Routes: []cognito.Route{{Method: "DELETE", Resource: "/notes/*", Groups: []string{"admin"}}}, // optional
		Logger: slog.New(slog.NewJSONHandler(os.Stdout, nil)),                                        // decisions, never tokens
	})
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(a.Handle) // aws-lambda-go; the library does not depend on it
}

func snippetDoc(v *cognito.Verifier) {
	a, err := cognito.NewAuthorizer(v, cognito.AuthorizerConfig{})
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(a.Handle)
}
