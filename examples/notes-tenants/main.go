// Command notes-tenants is the seed's Notes API for a multi-tenant service:
// each tenant has its own Cognito user pool, listed in a tenant table that
// the verifier consults for an issuer it has not seen (cognito.Resolver).
// A token of a pool that is not in the table is refused without any
// request to that pool, and one tenant's users never see another's notes.
//
// With no configuration it starts two local fake user pools, writes a
// table for them, and prints sample tokens and curl lines:
//
//	go run ./examples/notes-tenants
//
// With TENANTS_FILE naming a table it verifies real Cognito access tokens
// of the tenants listed there:
//
//	{"tenants": [{"name": "acme", "user_pool_id": "us-east-1_AbC123xyz", "client_ids": ["4f3kexampleappclient"]}]}
//
// Notes live in memory. -addr (or NOTES_ADDR) sets the listen address;
// SIGINT or SIGTERM shuts it down gracefully.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/cognito-verify/cognito/examples/internal/notesserver"
	"github.com/cognito-verify/cognito/examples/notes"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "notes-tenants:", err)
		os.Exit(1)
	}
}

// newHandler returns the Notes API behind a verifier that finds each
// token's pool in table. client fetches the pools' keys (nil: the
// library's default).
func newHandler(table Table, client *http.Client, log *slog.Logger) (http.Handler, error) {
	m, err := cognito.NewMultiVerifierWith(cognito.MultiConfig{Resolver: table.Resolve, HTTPClient: client})
	if err != nil {
		return nil, err
	}
	api := notes.NewHandler(&notes.MemoryStore{}, TenantUser, log)
	return m.Middleware(api, cognito.WithLogger(log)), nil
}

// run serves until ctx is done. Instructions go to out, JSON logs to logw.
func run(ctx context.Context, args []string, getenv func(string) string, out, logw io.Writer) error {
	fs := flag.NewFlagSet("notes-tenants", flag.ContinueOnError)
	fs.SetOutput(logw)
	addr := fs.String("addr", cmp(getenv("NOTES_ADDR"), "127.0.0.1:8080"), "listen address (env NOTES_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(logw, nil))

	table := Table{Path: getenv("TENANTS_FILE")}
	var client *http.Client
	var pools []*cognitotest.Pool
	if table.Path == "" {
		dir, err := os.MkdirTemp("", "notes-tenants")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		pools = []*cognitotest.Pool{
			cognitotest.NewPool(cognitotest.WithPoolID("us-east-1_Acme")),
			cognitotest.NewPool(cognitotest.WithPoolID("eu-west-1_Globex")),
		}
		for _, p := range pools {
			defer p.Close()
		}
		if table.Path, err = writeTable(dir, pools); err != nil {
			return err
		}
		client = pools[0].HTTPClient() // trusts every fake pool: httptest servers share one certificate
	}
	tenants, err := table.load() // a table that cannot be read is a startup error
	if err != nil {
		return err
	}
	h, err := newHandler(table, client, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if pools != nil {
		printLocal(out, base, pools)
	} else {
		fmt.Fprintf(out, "Notes API on %s for the %d tenants of %s (read on each new issuer).\n", base, len(tenants), table.Path)
	}

	return notesserver.Serve(ctx, &http.Server{Handler: h}, ln, out)
}

// writeTable writes the tenant table of the local fake pools into dir.
func writeTable(dir string, pools []*cognitotest.Pool) (string, error) {
	var doc struct {
		Tenants []Tenant `json:"tenants"`
	}
	for _, p := range pools {
		doc.Tenants = append(doc.Tenants, Tenant{Name: p.PoolID, UserPoolID: p.PoolID, ClientIDs: []string{p.ClientID}, JWKSURL: p.JWKSURL()})
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "tenants.json")
	return path, os.WriteFile(path, data, 0o600)
}

// printLocal prints a token of alice in each fake pool, and curl lines
// that show the tenants apart.
func printLocal(out io.Writer, base string, pools []*cognitotest.Pool) {
	const valid = 12 * time.Hour
	acme := pools[0].AccessToken(cognitotest.WithUser("alice"), cognitotest.ExpiresIn(valid))
	globex := pools[1].AccessToken(cognitotest.WithUser("alice"), cognitotest.ExpiresIn(valid))
	fmt.Fprintf(out, `Notes API on %[1]s for two tenants, each a local fake user pool (%[2]s, %[3]s).
Set TENANTS_FILE to a tenant table to verify real Cognito tokens instead.

Sample access tokens of a user named alice in each tenant, valid for %[4]v (restart for new ones):
  acme:   %[5]s
  globex: %[6]s

Create a note as alice of acme:
  curl -i -X POST %[1]s/notes -H 'Authorization: Bearer %[5]s' -H 'Content-Type: application/json' -d '{"noteid":"1","note":"hello from acme"}'

Alice of globex sees none of it:
  curl -i %[1]s/notes -H 'Authorization: Bearer %[6]s'

Press Ctrl+C to stop.
`, base, pools[0].PoolID, pools[1].PoolID, valid, acme, globex)
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
