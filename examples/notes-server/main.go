// Command notes-server is the seed's Notes API on net/http behind the
// cognito middleware, with the notes in memory.
//
// With no COGNITO_ variable set it starts a local fake Cognito user pool and
// prints sample tokens and curl lines that work as printed:
//
//	go run ./examples/notes-server
//
// With COGNITO_USER_POOL_ID and COGNITO_CLIENT_IDS (or COGNITO_ISSUER and
// COGNITO_JWKS_URL for an emulator; see package envconfig) it verifies real
// tokens of that pool instead; a COGNITO_ variable it does not know is an
// error. It never builds the AWS SDK: notes-dynamodb is the same server on
// a DynamoDB table. -addr (or NOTES_ADDR) sets the listen address; SIGINT
// or SIGTERM shuts it down gracefully.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cognito-verify/cognito/examples/internal/notesserver"
	"github.com/cognito-verify/cognito/examples/notes"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "notes-server:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. Instructions go to out, JSON logs to logs.
func run(ctx context.Context, args, environ []string, out, logs io.Writer) error {
	return notesserver.Run(ctx, notesserver.Options{
		Name: "notes-server", Args: args, Environ: environ, Out: out, Logs: logs, DemoPool: true,
		Store: func(_ context.Context, getenv func(string) string) (notes.Store, string, error) {
			if getenv("NOTES_TABLE") != "" {
				return nil, "", errors.New("NOTES_TABLE is set, but notes-server keeps notes in memory: " +
					"go run ./examples/notes-dynamodb serves them from DynamoDB")
			}
			return &notes.MemoryStore{}, "in memory", nil
		},
	})
}
