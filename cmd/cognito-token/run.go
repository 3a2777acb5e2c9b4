package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cognito-verify/cognito"
)

// Exit codes, so that scripts can branch on the answer.
const (
	exitOK        = 0 // valid; inspect: no check fails; jwks: saved
	exitRejected  = 1 // the token (or the key set) was rejected
	exitUndecided = 2 // could not decide: keys unavailable, bad usage, unreadable input
)

const usage = `cognito-token inspects and verifies Amazon Cognito tokens.

Usage:
  cognito-token inspect [flags] < token   decode without verifying; with -pool, every check it fails
  cognito-token verify  [flags] < token   verify against the pool's key set
  cognito-token jwks    [flags] -o FILE   download, validate and save the pool's key set

The token is read from stdin or -token-file, never from the command line
(it would land in the shell's history), and is never sent anywhere.

Exit status: 0 valid (inspect: no check fails; jwks: saved), 1 rejected,
2 could not decide (keys unavailable, bad usage, unreadable input).
Run 'cognito-token <command> -h' for the flags of a command.
`

// maxInput bounds what is read as a token: the largest token any verifier
// accepts (Config.MaxTokenBytes is at most 1 MiB).
const maxInput = 1 << 20

// run is the whole command, minus the process: arguments, streams and an
// exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	return c.main(args)
}

// cli holds what the commands take from their environment; tests set the
// HTTP client (one trusting a cognitotest pool) and the clock.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	httpClient     *http.Client // nil: the library's default, and one like it for jwks
	now            func() time.Time
}

func (c *cli) main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitUndecided
	}
	switch args[0] {
	case "inspect":
		return c.inspect(args[1:])
	case "verify":
		return c.verify(args[1:])
	case "jwks":
		return c.jwks(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "cognito-token: unknown command %q\n\n%s", args[0], usage)
	return exitUndecided
}

// options are the flags of every command; each command registers those it
// takes.
type options struct {
	pool, issuer, tokenUse  string
	clients, groups, scopes list
	allowHTTP, anyClient    bool
	jwksFile, jwksURL       string
	tokenFile, out          string
	json                    bool
}

func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cognito-token %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// poolFlags registers the flags that name the pool.
func (o *options) poolFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.pool, "pool", "", "user pool `ID`, such as us-east-1_AbC123xyz: the issuer and key set URL are derived from it")
	fs.StringVar(&o.issuer, "issuer", "", "the iss (a `URL`) tokens carry, instead of the one derived from -pool (emulators)")
	fs.BoolVar(&o.allowHTTP, "allow-http", false, "accept an http -issuer or -jwks-url on any host (emulators on a container network; loopback needs no flag)")
}

// ruleFlags registers the flags of the verifier's rules and of the token.
func (o *options) ruleFlags(fs *flag.FlagSet) {
	fs.Var(&o.clients, "client", "app client `ID` accepted (client_id of access tokens, aud of ID tokens); repeat or separate with commas")
	fs.StringVar(&o.tokenUse, "token-use", "", "token `kind` accepted: access or id")
	fs.Var(&o.groups, "group", "require one of these `groups` (cognito:groups); repeat or separate with commas")
	fs.Var(&o.scopes, "scope", "require one of these `scopes` (access tokens); repeat or separate with commas")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the token from this `file` instead of stdin")
	fs.BoolVar(&o.json, "json", false, "print one JSON object, for scripts")
}

// parse parses args and refuses positional arguments: a token given there
// would be in the shell's history.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUndecided, false
	}
	if fs.NArg() > 0 {
		// Not echoed: it may well be a token.
		fmt.Fprintf(stderr, "cognito-token %s: unexpected argument: pass the token on stdin or with -token-file (a token on the command line lands in the shell's history)\n",
			fs.Name())
		return exitUndecided, false
	}
	return 0, true
}

// config is the verifier configuration the flags describe.
func (c *cli) config(o *options) cognito.Config {
	return cognito.Config{
		UserPoolID:        o.pool,
		Issuer:            o.issuer,
		AllowHTTP:         o.allowHTTP,
		ClientIDs:         o.clients,
		SkipClientIDCheck: o.anyClient,
		TokenUse:          cognito.TokenUse(o.tokenUse),
		Groups:            o.groups,
		Scopes:            o.scopes,
		JWKSURL:           o.jwksURL,
		HTTPClient:        c.httpClient,
		Now:               c.now,
	}
}

// errNoToken is an input without a token: a usage error, not a rejection.
var errNoToken = errors.New("no token on stdin (pipe it in, or use -token-file)")

// readToken reads the token from -token-file or stdin. Surrounding
// whitespace (the newline of a file or a shell pipe) and a "Bearer " prefix
// (a pasted Authorization header value) are removed, as the middleware
// does with the header.
func (c *cli) readToken(file string) (string, error) {
	r := c.stdin
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	} else if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(c.stderr, "cognito-token: reading the token from stdin: paste it, then press Ctrl-D")
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxInput {
		return "", errTooLarge
	}
	token := strings.TrimSpace(string(data))
	if t, ok := cognito.BearerToken(token); ok {
		token = t
	}
	if token == "" {
		if file != "" && file != "-" {
			return "", fmt.Errorf("no token in %s", file)
		}
		return "", errNoToken
	}
	return token, nil
}

// errTooLarge is an input no verifier would accept: a rejection.
var errTooLarge = fmt.Errorf("the input is over %d bytes, more than any verifier accepts", maxInput)

// inputError reports a failure to read the token and returns the exit code.
func (c *cli) inputError(cmd string, err error) int {
	fmt.Fprintf(c.stderr, "cognito-token %s: %v\n", cmd, err)
	if errors.Is(err, errTooLarge) {
		return exitRejected
	}
	return exitUndecided
}

// list is a repeatable, comma-separated flag.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }

func (l *list) Set(s string) error {
	*l = append(*l, strings.Split(s, ",")...)
	return nil
}
