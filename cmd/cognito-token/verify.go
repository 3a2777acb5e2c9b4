package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cognito-verify/cognito"
)

// verify verifies a token as a [cognito.Verifier] with the flags'
// configuration would, against the pool's live key set or a saved one.
func (c *cli) verify(args []string) int {
	var o options
	fs := newFlags("verify",
		"verify (-pool ID | -issuer URL) (-client ID | -any-client) -token-use access|id [-jwks FILE | -jwks-url URL]\n"+
			"       [-group G] [-scope S] [-json] [-token-file FILE] < token\n\n"+
			"Verifies the token: signature with the pool's key set (fetched, or -jwks), expiry, issuer,\n"+
			"token_use, client, groups and scopes.\n"+
			"Exit status: 0 valid, 1 rejected, 2 could not decide (keys unavailable, bad usage or input).",
		c.stderr)
	o.poolFlags(fs)
	o.ruleFlags(fs)
	fs.BoolVar(&o.anyClient, "any-client", false, "accept tokens of every app client of the pool, instead of -client")
	fs.StringVar(&o.jwksFile, "jwks", "", "verify with this saved key set (a jwks.json `file`) instead of fetching the pool's")
	fs.StringVar(&o.jwksURL, "jwks-url", "", "fetch the key set from this `URL` instead of the one derived from -pool or -issuer")
	if code, ok := parse(fs, args, c.stderr); !ok {
		return code
	}
	now := c.now()
	cfg := c.config(&o)
	cfg.Now = func() time.Time { return now }
	if o.jwksFile != "" {
		data, err := os.ReadFile(o.jwksFile)
		if err != nil {
			fmt.Fprintf(c.stderr, "cognito-token verify: %v\n", err)
			return exitUndecided
		}
		cfg.JWKS = data
	}
	// The configuration is checked before the token is read: a mistake in
	// the flags is not the token's fault.
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "cognito-token verify: %v\n", err)
		return exitUndecided
	}
	token, err := c.readToken(o.tokenFile)
	if err != nil {
		return c.inputError("verify", err)
	}

	claims, err := v.Verify(context.Background(), token)
	switch {
	case err == nil:
		times := timeClaims(claims.ExpiresAt, claims.IssuedAt, claims.NotBefore, claims.AuthTime)
		if o.json {
			return c.emit(exitOK, verifyJSON{Outcome: "valid", Claims: claims.Raw(), Times: timesJSON(times, now)})
		}
		fmt.Fprintf(c.stdout, "valid: %s token verified at %s for %s\n\n", claims.TokenUse, formatTime(now),
			strings.Join(v.Issuers(), ", "))
		if err := writeObject(c.stdout, "Claims (verified)", claims.Raw(), times, now); err != nil {
			return c.outputError(err)
		}
		return exitOK
	case errors.Is(err, cognito.ErrInvalidToken):
		if o.json {
			return c.emit(exitRejected, verifyJSON{Outcome: "rejected", Error: newErrorJSON(err)})
		}
		fmt.Fprintf(c.stdout, "rejected: %s\n", describe(err))
		fmt.Fprintln(c.stdout, "(cognito-token inspect with the same -pool, -client and -token-use lists every check it fails)")
		return exitRejected
	default:
		if o.json {
			return c.emit(exitUndecided, verifyJSON{Outcome: "undecided", Error: newErrorJSON(err)})
		}
		fmt.Fprintf(c.stdout, "could not decide: %s\n", clean(err.Error()))
		return exitUndecided
	}
}

// verifyJSON is the output of verify -json. Outcome is "valid", "rejected"
// or "undecided".
type verifyJSON struct {
	Outcome string              `json:"outcome"`
	Claims  json.RawMessage     `json:"claims,omitempty"`
	Times   map[string]timeJSON `json:"times,omitempty"`
	Error   *errorJSON          `json:"error,omitempty"`
}
