// Package notesserver runs the Notes API on net/http behind the cognito
// middleware, for the notes-server, notes-dynamodb and notes-local commands.
// The store comes from the command, so a command that keeps notes in memory
// never builds the AWS SDK.
package notesserver

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/cognito-verify/cognito/envconfig"
	"github.com/cognito-verify/cognito/examples/notes"
)

// DefaultAddr is the listen address without -addr or NOTES_ADDR.
const DefaultAddr = "127.0.0.1:8080"

// Options configures [Run].
type Options struct {
	Name    string   // the command's name, for flags and messages
	Args    []string // command-line arguments, without the program name
	Environ []string // the environment, as os.Environ returns it
	Out     io.Writer
	Logs    io.Writer // JSON logs

	// Store returns where notes live and a description for the start-up
	// line ("in memory", "in DynamoDB table Notes").
	Store func(ctx context.Context, getenv func(string) string) (notes.Store, string, error)

	// DemoPool lets Run start a local fake user pool and print ready-made
	// tokens when no COGNITO_ variable is set.
	DemoPool bool

	// Ready, when set, is called once the server listens, with its base URL.
	Ready func(base string)
}

// Run serves the Notes API until ctx is done, then shuts down gracefully.
//
// The verifier is configured by the COGNITO_ variables ([envconfig]). With
// DemoPool and none of them set, a local fake pool stands in for Cognito;
// any COGNITO_ variable, even a misspelt one, means a real pool was meant,
// and a variable envconfig does not read is an error, never a silent fake
// pool.
func Run(ctx context.Context, o Options) error {
	getenv := lookup(o.Environ)
	fs := flag.NewFlagSet(o.Name, flag.ContinueOnError)
	fs.SetOutput(o.Logs)
	addrEnv := getenv("NOTES_ADDR")
	addr := fs.String("addr", cmp(addrEnv, DefaultAddr), "listen address (env NOTES_ADDR)")
	if err := fs.Parse(o.Args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(o.Logs, nil))

	store, where, err := o.Store(ctx, getenv)
	if err != nil {
		return err
	}
	var cfg cognito.Config
	var pool *cognitotest.Pool
	if set := cognitoVariables(o.Environ); len(set) > 0 || !o.DemoPool || getenv("NOTES_TABLE") != "" {
		for _, name := range set {
			if !slices.Contains(envconfig.Names, name) {
				return fmt.Errorf("%s is not a variable %s reads (%s)", name, o.Name, strings.Join(envconfig.Names, ", "))
			}
		}
		if cfg, err = envconfig.Load(getenv); err != nil {
			return err
		}
	} else {
		pool = cognitotest.NewPool()
		defer pool.Close()
		cfg = pool.Config()
	}
	cfg.Logger = log // key fetches, failures and stale keys
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		return err
	}
	if err := v.Warm(ctx); err != nil {
		// Not fatal: the endpoint may recover. Requests answer 500 until then.
		log.Error("could not fetch the pool's signing keys yet", "error", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil && *addr == DefaultAddr && addrEnv == "" && !flagSet(fs, "addr") {
		// The default port is taken: any free port will do for a demo.
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	// The operations endpoints sit beside the API, not behind the
	// middleware: they show counts and ages, never a token or a claim.
	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", varsHandler(v))
	mux.Handle("GET /healthz", healthHandler(v))
	mux.Handle("/", v.Middleware(notes.NewHandler(store, notes.UserFromClaims, log), cognito.WithLogger(log)))
	if pool != nil {
		printDemo(o.Out, base, pool, where)
	} else {
		fmt.Fprintf(o.Out, "Notes API on %s, notes %s, verifying %s tokens of %s.\nSend them as: Authorization: Bearer <token>\n",
			base, where, cfg.TokenUse, v.Issuer())
	}
	if o.Ready != nil {
		o.Ready(base)
	}

	return Serve(ctx, &http.Server{Handler: mux}, ln, o.Out)
}

// Serve runs srv on ln, with the Notes API's timeouts, until ctx is done,
// then shuts it down gracefully and says so on out.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, out io.Writer) error {
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 5*time.Second, 10*time.Second, 10*time.Second, 60*time.Second
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

// cognitoVariables returns the names of the COGNITO_ variables in environ
// that have a value.
func cognitoVariables(environ []string) []string {
	var names []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, envconfig.Prefix) && strings.TrimSpace(value) != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// lookup returns a getenv over environ; for a name set twice the last
// value counts, as in os.Getenv.
func lookup(environ []string) func(string) string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// printDemo prints tokens of two users of the fake pool and curl lines
// that work as printed.
func printDemo(out io.Writer, base string, pool *cognitotest.Pool, where string) {
	const valid = 12 * time.Hour
	alice := pool.AccessToken(cognitotest.WithUser("alice"), cognitotest.ExpiresIn(valid))
	bob := pool.AccessToken(cognitotest.WithUser("bob"), cognitotest.ExpiresIn(valid))
	fmt.Fprintf(out, `Notes API on %[1]s, notes %[6]s, verifying access tokens of a local fake user pool (%[2]s).
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

The verifier's counters (expvar JSON) and a health check, no token needed:
  %[1]s/debug/vars  %[1]s/healthz

Press Ctrl+C to stop.
`, base, pool.PoolID, valid, alice, bob, where)
}

// varsHandler serves expvar's variables (memstats, cmdline and any the
// program published) plus "cognito", the verifier's Stats, in expvar's JSON
// format.
func varsHandler(v *cognito.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		stats, err := json.Marshal(v.Stats())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprintf(w, "{\n%q: %s", "cognito", stats)
		expvar.Do(func(kv expvar.KeyValue) { fmt.Fprintf(w, ",\n%q: %s", kv.Key, kv.Value) })
		fmt.Fprint(w, "\n}\n")
	})
}

// healthHandler answers 200 while the verifier holds keys it may use, and
// 503 (with the reason) when it could not verify a token now: no keys yet,
// or every refresh failed for longer than MaxKeyAge.
func healthHandler(v *cognito.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Warm(r.Context()); err != nil {
			http.Error(w, "keys unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		s := v.Stats()
		if s.KeysFetchedAt.IsZero() {
			fmt.Fprintln(w, "ok: keys given in the configuration")
			return
		}
		fmt.Fprintf(w, "ok: keys fetched %s ago, %d key fetches (%d failed)\n", s.KeySetAge.Round(time.Second), s.KeyFetches, s.KeyFetchFailures)
	})
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
