// Command notes-dynamodb is notes-server with the notes in a DynamoDB table:
// the seed's Notes API on net/http behind the cognito middleware.
//
// It verifies tokens of the pool the COGNITO_ variables name (see package
// envconfig; never a fake pool) and stores notes in the table NOTES_TABLE
// names (default Notes), through the standard AWS configuration chain
// (region, credentials), at DYNAMODB_ENDPOINT when set (dynalite, DynamoDB
// Local). go run ./examples/notes-local starts all of it on this machine.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cognito-verify/cognito/examples/internal/notesserver"
	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "notes-dynamodb:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done; ready, when set, gets the base URL once the
// server listens.
func run(ctx context.Context, args, environ []string, out, logs io.Writer, ready func(string)) error {
	return notesserver.Run(ctx, notesserver.Options{
		Name: "notes-dynamodb", Args: args, Environ: environ, Out: out, Logs: logs, Ready: ready,
		Store: func(ctx context.Context, getenv func(string) string) (notes.Store, string, error) {
			s, err := dynamo.FromEnv(ctx, getenv)
			if err != nil {
				return nil, "", err
			}
			return s, "in DynamoDB table " + s.Table(), nil
		},
	})
}
