// Command notes-local runs the seed's whole system on this machine, on real
// parts: it installs cognito-local (a Cognito emulator) and dynalite (a
// DynamoDB-compatible server) from npm, starts both on free loopback ports,
// creates a user pool, an app client, a user and the Notes table through the
// AWS SDK for Go, signs the user in, and serves the Notes API (notes-dynamodb)
// against them, printing the sign-in and curl lines to try it:
//
//	go run ./examples/notes-local
//
// It needs Node.js and npm. The packages go to -dir (default: the user cache
// directory), pinned: cognito-local 5.3.0 and dynalite 4.0.0. Every run
// starts from an empty pool and table; Ctrl+C stops the server and both
// emulators.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cognito-verify/cognito/examples/internal/localaws"
	"github.com/cognito-verify/cognito/examples/internal/notesserver"
	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
)

// The npm packages, pinned (dynalite's is the one .ci/run uses).
var packages = map[string]string{"cognito-local": "5.3.0", "dynalite": "4.0.0"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "notes-local:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out, logs io.Writer) error {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	fs := flag.NewFlagSet("notes-local", flag.ContinueOnError)
	fs.SetOutput(logs)
	dir := fs.String("dir", filepath.Join(cache, "cognito-verify", "notes-local"), "where the npm packages are installed")
	addr := fs.String("addr", notesserver.DefaultAddr, "the Notes API's listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := install(ctx, *dir, out); err != nil {
		return err
	}
	state, err := os.MkdirTemp(*dir, "run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)

	cognitoPort, dynamoPort := freePort(), freePort()
	if cognitoPort == 0 || dynamoPort == 0 {
		return errors.New("no free loopback port")
	}
	cognitoURL := "http://127.0.0.1:" + strconv.Itoa(cognitoPort)
	dynamoURL := "http://127.0.0.1:" + strconv.Itoa(dynamoPort)
	// cognito-local reads .cognito/config.json in its working directory; the
	// issuer of its tokens must be the URL it is reached at.
	config, _ := json.Marshal(map[string]any{
		"TokenConfig":  map[string]any{"IssuerDomain": cognitoURL},
		"ServerConfig": map[string]any{"hostname": "127.0.0.1", "port": cognitoPort},
	})
	if err := os.MkdirAll(filepath.Join(state, ".cognito"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(state, ".cognito", "config.json"), config, 0o644); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		args []string
		env  string
	}{
		{"cognito-local", nil, "PORT=" + strconv.Itoa(cognitoPort)},
		{"dynalite", []string{"--port", strconv.Itoa(dynamoPort), "--createTableMs", "0", "--deleteTableMs", "0"}, ""},
	} {
		stopProc, err := start(state, filepath.Join(*dir, "node_modules", ".bin", p.name), p.args, p.env)
		if err != nil {
			return err
		}
		defer stopProc()
	}
	if err := waitFor(ctx, cognitoURL+"/health", filepath.Join(state, "cognito-local.log")); err != nil {
		return err
	}
	if err := waitFor(ctx, dynamoURL, filepath.Join(state, "dynalite.log")); err != nil {
		return err
	}

	// The seed's system, created as against AWS.
	pool, err := localaws.CreatePool(ctx, cognitoURL, "notes")
	if err != nil {
		return err
	}
	const email, password = "alice@example.com", "a-long-passphrase"
	if _, err := pool.SignUp(ctx, email, password); err != nil {
		return err
	}
	tokens, err := pool.SignIn(ctx, "", email, password)
	if err != nil {
		return err
	}
	store := dynamo.NewLocal(dynamoURL, dynamo.DefaultTable)
	if err := store.CreateTable(ctx); err != nil {
		return fmt.Errorf("creating the Notes table: %w", err)
	}
	// notes-dynamodb's configuration: the standard AWS chain, which reads the
	// process environment.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": localaws.AccessKey, "AWS_SECRET_ACCESS_KEY": localaws.SecretKey,
		"AWS_REGION": localaws.Region, "AWS_EC2_METADATA_DISABLED": "true"} {
		os.Setenv(k, v)
	}
	environ := append(pool.Environ(), "NOTES_TABLE="+dynamo.DefaultTable, "DYNAMODB_ENDPOINT="+dynamoURL)
	return notesserver.Run(ctx, notesserver.Options{
		Name: "notes-local", Args: []string{"-addr", *addr}, Environ: environ, Out: out, Logs: logs,
		Store: func(ctx context.Context, getenv func(string) string) (notes.Store, string, error) {
			s, err := dynamo.FromEnv(ctx, getenv)
			if err != nil {
				return nil, "", err
			}
			return s, "in DynamoDB table " + s.Table() + " on dynalite " + dynamoURL, nil
		},
		Ready: func(base string) { printSignIn(out, base, pool, dynamoURL, email, password, tokens.Access) },
	})
}

// printSignIn prints how to sign in with the AWS CLI and curl lines that
// work as printed.
func printSignIn(out io.Writer, base string, pool *localaws.Pool, dynamoURL, email, password, token string) {
	fmt.Fprintf(out, `
cognito-local on %[2]s: user pool %[3]s, app client %[4]s, user %[5]s.
Sign in again with the AWS CLI (tokens last 60 minutes):
  TOKEN=$(AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url %[2]s --region %[7]s cognito-idp initiate-auth --client-id %[4]s --auth-flow USER_PASSWORD_AUTH --auth-parameters 'USERNAME=%[5]s,PASSWORD=%[6]s' --query AuthenticationResult.AccessToken --output text)
or take this one:
  TOKEN=%[8]s

Create a note and list them:
  curl -i -X POST %[1]s/notes -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"noteid":"1","note":"hello from alice"}'
  curl -i %[1]s/notes -H "Authorization: Bearer $TOKEN"
The note is in the table under the token's sub:
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url %[9]s --region %[7]s dynamodb scan --table-name %[10]s

Press Ctrl+C to stop the server, cognito-local and dynalite.
`, base, pool.Endpoint, pool.PoolID, pool.ClientID, email, password, localaws.Region, token, dynamoURL, dynamo.DefaultTable)
}

// install installs the pinned packages into dir unless they are there.
func install(ctx context.Context, dir string, out io.Writer) error {
	var missing []string
	for name, version := range packages {
		var pkg struct{ Version string }
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
		if err != nil || json.Unmarshal(b, &pkg) != nil || pkg.Version != version {
			missing = append(missing, name+"@"+version)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("npm is not installed: notes-local needs Node.js and npm to install " + strings.Join(missing, " "))
	}
	fmt.Fprintf(out, "Installing %s into %s ...\n", strings.Join(missing, " "), dir)
	cmd := exec.CommandContext(ctx, "npm", append([]string{"install", "--prefix", dir, "--no-save", "--no-package-lock",
		"--no-audit", "--no-fund", "--loglevel=error"}, missing...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install %s: %w", strings.Join(missing, " "), err)
	}
	return nil
}

// start runs an emulator in dir with its output in dir/{name}.log; stop
// ends it.
func start(dir, bin string, args []string, env string) (stop func(), err error) {
	name := filepath.Base(bin)
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	cmd.Env = os.Environ()
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		log.Close()
	}, nil
}

// waitFor waits until url answers, for at most a minute (npm packages start
// slowly on a loaded machine).
func waitFor(ctx context.Context, url, logFile string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(logFile)
			return fmt.Errorf("%s did not answer within a minute:\n%s", url, log)
		case <-tick.C:
		}
	}
}

// freePort returns a loopback port that was free a moment ago, or 0.
func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
