// Command notes-server is the seed's Notes API on net/http behind the
// cognito middleware.
//
// With no configuration it starts a local fake Cognito user pool and prints
// sample tokens and curl lines that work as printed:
//
//	go run ./examples/notes-server
//
// With COGNITO_USER_POOL_ID and COGNITO_CLIENT_IDS set it verifies real
// Cognito access tokens instead. Notes live in memory unless NOTES_TABLE
// names a DynamoDB table (standard AWS configuration; DYNAMODB_ENDPOINT for
// a local server). -addr (or NOTES_ADDR) sets the listen address; SIGINT or
// SIGTERM shuts it down gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/cognito-verify/cognito/examples/internal/envconfig"
	"github.com/cognito-verify/cognito/examples/notes"
)

const defaultAddr = "127.0.0.1:8080"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "notes-server:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. Instructions go to out, JSON logs to logw.
func run(ctx context.Context, args []string, getenv func(string) string, out, logw io.Writer) error {
	fs := flag.NewFlagSet("notes-server", flag.ContinueOnError)
	fs.SetOutput(logw)
	addrEnv := getenv("NOTES_ADDR")
	addr := fs.String("addr", cmp(addrEnv, defaultAddr), "listen address (env NOTES_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(logw, nil))

	var cfg cognito.Config
	var pool *cognitotest.Pool
	if getenv(envconfig.PoolID) != "" {
		var err error
		if cfg, err = envconfig.Load(getenv); err != nil {
			return err
		}
	} else {
		pool = cognitotest.NewPool()
		defer pool.Close()
		cfg = pool.Config()
	}
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		return err
	}
	if err := v.Warm(ctx); err != nil {
		// Not fatal: the endpoint may recover. Requests answer 500 until then.
		log.Error("could not fetch the pool's signing keys yet", "error", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil && *addr == defaultAddr && addrEnv == "" && !flagSet(fs, "addr") {
		// The default port is taken: any free port will do for a demo.
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()

	var store notes.Store = &notes.MemoryStore{}
	if getenv("NOTES_TABLE") != "" {
		ds, err := notes.NewDynamoStoreFromEnv(ctx, getenv)
		if err != nil {
			return err
		}
		store = ds
	}
	srv := &http.Server{
		Handler:           v.Middleware(notes.NewHandler(store, notes.UserFromClaims, log), cognito.WithLogger(log)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	if pool != nil {
		printLocal(out, base, pool)
	} else {
		fmt.Fprintf(out, "Notes API on %s, verifying %s tokens of %s.\nSend them as: Authorization: Bearer <token>\n",
			base, cfg.TokenUse, v.Issuer())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(out, "Notes API stopped.")
	return nil
}

// printLocal prints tokens of two users of the fake pool and curl lines
// that work as printed.
func printLocal(out io.Writer, base string, pool *cognitotest.Pool) {
	const valid = 12 * time.Hour
	alice := pool.AccessToken(cognitotest.WithUser("alice"), cognitotest.ExpiresIn(valid))
	bob := pool.AccessToken(cognitotest.WithUser("bob"), cognitotest.ExpiresIn(valid))
	fmt.Fprintf(out, `Notes API on %[1]s, verifying access tokens of a local fake user pool (%[2]s).
Set COGNITO_USER_POOL_ID and COGNITO_CLIENT_IDS to verify real Cognito tokens instead.

Sample access tokens, valid for %[3]v (restart for new ones):
  alice: %[4]s
  bob:   %[5]s

Create a note as alice:
  curl -i -X POST %[1]s/notes -H 'Authorization: Bearer %[4]s' -H 'Content-Type: application/json' -d '{"noteid":"1","note":"hello from alice"}'

List alice's notes:
  curl -i %[1]s/notes -H 'Authorization: Bearer %[4]s'

Bob sees none of them:
  curl -i %[1]s/notes -H 'Authorization: Bearer %[5]s'

Without a token (401):
  curl -i %[1]s/notes

Press Ctrl+C to stop.
`, base, pool.PoolID, valid, alice, bob)
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
