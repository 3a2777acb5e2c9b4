package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cognito-verify/cognito"
)

// inspect decodes a token without verifying it and, given a pool, lists
// every check a verifier would refuse it for.
func (c *cli) inspect(args []string) int {
	var o options
	fs := newFlags("inspect",
		"inspect [-pool ID | -issuer URL] [-client ID] [-token-use access|id] [-group G] [-scope S] [-json] [-token-file FILE] < token\n\n"+
			"Decodes the token without verifying it. With -pool (or -issuer) it lists every check a verifier\n"+
			"with those flags would refuse the token for, except the key and the signature (see verify).\n"+
			"Exit status: 0 decoded and no check fails, 1 unreadable or a check fails, 2 bad usage or input.",
		c.stderr)
	o.poolFlags(fs)
	o.ruleFlags(fs)
	if code, ok := parse(fs, args, c.stderr); !ok {
		return code
	}
	token, err := c.readToken(o.tokenFile)
	if err != nil {
		return c.inputError("inspect", err)
	}
	now := c.now()
	t, err := cognito.ParseUnverified(token)
	if err != nil {
		if o.json {
			return c.emit(exitRejected, inspectJSON{Outcome: "unreadable", Error: newErrorJSON(err)})
		}
		fmt.Fprintf(c.stdout, "unreadable: %s\n", describe(err))
		return exitRejected
	}
	var r *checks
	if o.pool != "" || o.issuer != "" {
		if r, err = c.check(&o, t, now); err != nil {
			fmt.Fprintf(c.stderr, "cognito-token inspect: %v\n", err)
			return exitUndecided
		}
	}
	code := exitOK
	if r != nil && len(r.failures) > 0 {
		code = exitRejected
	}
	times := unverifiedTimes(t.UnverifiedClaims())
	if o.json {
		out := inspectJSON{
			Outcome: "decoded",
			Header:  t.UnverifiedHeader(),
			Claims:  t.UnverifiedPayload(),
			Times:   timesJSON(times, now),
		}
		if r != nil {
			out.Outcome = map[bool]string{true: "fails", false: "passes"}[len(r.failures) > 0]
			out.Checks = r.json()
		}
		return c.emit(code, out)
	}
	w := c.stdout
	fmt.Fprintln(w, "Unverified: nothing below is verified (cognito-token verify checks the signature).")
	fmt.Fprintln(w)
	if err := writeObject(w, "Header", t.UnverifiedHeader(), nil, now); err != nil {
		return c.outputError(err)
	}
	fmt.Fprintln(w)
	if err := writeObject(w, "Claims", t.UnverifiedPayload(), times, now); err != nil {
		return c.outputError(err)
	}
	fmt.Fprintln(w)
	if r == nil {
		fmt.Fprintln(w, "Checks: none. Give -pool (or -issuer), -client and -token-use to see every check a verifier would refuse it for.")
		return code
	}
	r.write(w)
	return code
}

// checks is what a verifier with the flags' configuration says of a token
// before looking at its key.
type checks struct {
	now      time.Time
	issuers  []string
	tokenUse cognito.TokenUse
	clients  []string // nil: any client
	groups   []string
	scopes   []string
	notes    []string
	failures []error
}

// check runs [cognito.Verifier.CheckUnverified] with the flags'
// configuration at now. Without -token-use the token is checked as the
// kind it claims to be; without -client every client is accepted.
func (c *cli) check(o *options, t *cognito.UnverifiedToken, now time.Time) (*checks, error) {
	opts := *o
	r := &checks{now: now, groups: o.groups, scopes: o.scopes}
	if opts.tokenUse == "" {
		use := t.UnverifiedClaims().TokenUse
		if use != cognito.AccessToken && use != cognito.IDToken {
			use = cognito.AccessToken
		}
		opts.tokenUse = string(use)
		r.notes = append(r.notes, fmt.Sprintf("no -token-use: checked as %q", use))
	}
	if len(opts.clients) == 0 {
		opts.anyClient = true
		r.notes = append(r.notes, "no -client: the app client is not checked")
	} else {
		r.clients = opts.clients
	}
	cfg := c.config(&opts)
	cfg.Now = func() time.Time { return now }
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		return nil, err
	}
	r.issuers = v.Issuers()
	r.tokenUse = cfg.TokenUse
	r.failures = v.CheckUnverified(t)
	return r, nil
}

func (r *checks) write(w io.Writer) {
	clients := "any client"
	if r.clients != nil {
		clients = "client " + strings.Join(r.clients, ", ")
	}
	fmt.Fprintf(w, "Checks at %s, as a verifier of %s tokens of %s for %s", formatTime(r.now), r.tokenUse,
		strings.Join(r.issuers, ", "), clients)
	if len(r.groups) > 0 {
		fmt.Fprintf(w, " requiring a group of %s", strings.Join(r.groups, ", "))
	}
	if len(r.scopes) > 0 {
		fmt.Fprintf(w, " requiring a scope of %s", strings.Join(r.scopes, ", "))
	}
	fmt.Fprintln(w, ":")
	for _, n := range r.notes {
		fmt.Fprintf(w, "  note  %s\n", n)
	}
	for _, err := range r.failures {
		fmt.Fprintf(w, "  FAIL  %s\n", describe(err))
	}
	if len(r.failures) == 0 {
		fmt.Fprintln(w, "  ok    no check fails but those below")
	}
	fmt.Fprintln(w, "  skip  the signing key and the signature: only cognito-token verify checks them")
}

// checksJSON is checks for scripts.
type checksJSON struct {
	Now       string       `json:"now"`
	Issuers   []string     `json:"issuers"`
	TokenUse  string       `json:"token_use"`
	ClientIDs []string     `json:"client_ids"` // null: any client
	Groups    []string     `json:"groups,omitempty"`
	Scopes    []string     `json:"scopes,omitempty"`
	Notes     []string     `json:"notes,omitempty"`
	Failures  []*errorJSON `json:"failures"`
	Skipped   []string     `json:"not_checked"`
}

func (r *checks) json() *checksJSON {
	out := &checksJSON{
		Now: formatTime(r.now), Issuers: r.issuers, TokenUse: string(r.tokenUse), ClientIDs: r.clients,
		Groups: r.groups, Scopes: r.scopes, Notes: r.notes,
		Failures: []*errorJSON{}, Skipped: []string{"key", "signature"},
	}
	for _, err := range r.failures {
		out.Failures = append(out.Failures, newErrorJSON(err))
	}
	return out
}

// inspectJSON is the output of inspect -json. Outcome is "decoded" (no
// checks asked), "passes", "fails" or "unreadable".
type inspectJSON struct {
	Verified bool                `json:"verified"` // always false: nothing here is verified
	Outcome  string              `json:"outcome"`
	Header   json.RawMessage     `json:"header,omitempty"`
	Claims   json.RawMessage     `json:"claims,omitempty"`
	Times    map[string]timeJSON `json:"times,omitempty"`
	Checks   *checksJSON         `json:"checks,omitempty"`
	Error    *errorJSON          `json:"error,omitempty"`
}

// unverifiedTimes are the time claims the token states, by claim name.
func unverifiedTimes(u cognito.UnverifiedClaims) map[string]time.Time {
	return timeClaims(u.ExpiresAt, u.IssuedAt, u.NotBefore, u.AuthTime)
}

func timeClaims(exp, iat, nbf, authTime time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for name, t := range map[string]time.Time{"exp": exp, "iat": iat, "nbf": nbf, "auth_time": authTime} {
		if !t.IsZero() {
			out[name] = t
		}
	}
	return out
}
