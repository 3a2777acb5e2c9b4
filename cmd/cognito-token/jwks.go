package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/cognito-verify/cognito"
)

const (
	// maxJWKSBytes is the library's bound on a key set.
	maxJWKSBytes = 1 << 20
	// fetchTimeout bounds the download, as the library's default
	// Config.FetchTimeout bounds its fetches.
	fetchTimeout = cognito.DefaultFetchTimeout
)

// jwks downloads a pool's key set, validates it with the library's own
// parser and saves it byte for byte, for COGNITO_JWKS_FILE or Config.JWKS.
// An invalid set is never saved.
func (c *cli) jwks(args []string) int {
	var o options
	fs := newFlags("jwks",
		"jwks (-pool ID | -issuer URL) [-jwks-url URL] -o FILE [-json]\n\n"+
			"Downloads the pool's key set, validates it as a Verifier would, and saves it (-o - for stdout).\n"+
			"Exit status: 0 saved, 1 the key set is invalid (nothing saved), 2 could not fetch it or bad usage.",
		c.stderr)
	o.poolFlags(fs)
	fs.StringVar(&o.jwksURL, "jwks-url", "", "download from this `URL` instead of the one derived from -pool or -issuer")
	fs.StringVar(&o.out, "o", "", "save the key set to this `file` (- for stdout)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object, for scripts")
	if code, ok := parse(fs, args, c.stderr); !ok {
		return code
	}
	if o.out == "" {
		fmt.Fprintln(c.stderr, "cognito-token jwks: -o FILE is required (- for stdout)")
		return exitUndecided
	}
	o.anyClient, o.tokenUse = true, string(cognito.AccessToken)
	cfg := c.config(&o)
	// NewVerifier checks the pool ID and the URLs as a verifier would.
	v, err := cognito.NewVerifier(cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "cognito-token jwks: %v\n", err)
		return exitUndecided
	}
	url := o.jwksURL
	if url == "" {
		url = v.Issuer() + "/.well-known/jwks.json"
	}
	report := c.stdout
	if o.out == "-" {
		report = c.stderr // stdout carries the key set
	}
	answer := func(code int, out jwksJSON, human string) int {
		out.URL = url
		if o.json {
			if err := writeJSON(report, out); err != nil {
				return c.outputError(err)
			}
			return code
		}
		fmt.Fprint(report, human)
		return code
	}

	body, err := c.download(url)
	if errors.Is(err, errJWKSTooLarge) {
		return answer(exitRejected, jwksJSON{Outcome: "rejected", Error: newErrorJSON(err)},
			fmt.Sprintf("refused, nothing saved: %v\n", err))
	}
	if err != nil {
		return answer(exitUndecided, jwksJSON{Outcome: "undecided", Error: newErrorJSON(err)},
			fmt.Sprintf("could not fetch the key set: %s\n", clean(err.Error())))
	}
	cfg.JWKSURL, cfg.JWKS = "", body
	if _, err := cognito.NewVerifier(cfg); err != nil {
		return answer(exitRejected, jwksJSON{Outcome: "rejected", Error: newErrorJSON(err)},
			fmt.Sprintf("refused, nothing saved: %s\n", clean(err.Error())))
	}
	keys := c.judgeKeys(cfg, body)
	if err := save(o.out, body, c.stdout); err != nil {
		fmt.Fprintf(c.stderr, "cognito-token jwks: %v\n", err)
		return exitUndecided
	}
	human := fmt.Sprintf("saved the key set of %s to %s:\n", url, o.out)
	for _, k := range keys {
		switch {
		case k.Error != "":
			human += fmt.Sprintf("  kid %s  not usable: %s\n", clean(k.Kid), clean(k.Error))
		default:
			human += fmt.Sprintf("  kid %s  usable\n", clean(k.Kid))
		}
	}
	human += fmt.Sprintf("Use it with COGNITO_JWKS_FILE=%s, or read it into cognito.Config.JWKS.\n", o.out)
	return answer(exitOK, jwksJSON{Outcome: "saved", File: o.out, Keys: keys}, human)
}

// keyJSON is one key of a saved set and the library's verdict on it.
type keyJSON struct {
	Kid    string `json:"kid"`
	Usable bool   `json:"usable"`
	Error  string `json:"error,omitempty"` // why Verify never uses it
}

// jwksJSON is the output of jwks -json. Outcome is "saved", "rejected"
// (the set is invalid; nothing saved) or "undecided" (not fetched).
type jwksJSON struct {
	Outcome string     `json:"outcome"`
	URL     string     `json:"url"`
	File    string     `json:"file,omitempty"`
	Keys    []keyJSON  `json:"keys,omitempty"`
	Error   *errorJSON `json:"error,omitempty"`
}

// judgeKeys gives the library's verdict on each key of a valid set: a set
// is valid with one usable key, and a key the library skips (too short, not
// RSA, a kid seen twice) would refuse every token it signed.
func (c *cli) judgeKeys(cfg cognito.Config, body []byte) []keyJSON {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(body, &set) // the library has just parsed it
	kids := map[string]int{}
	out := make([]keyJSON, len(set.Keys))
	for i, raw := range set.Keys {
		var k struct {
			Kid string `json:"kid"`
		}
		_ = json.Unmarshal(raw, &k)
		out[i].Kid = k.Kid
		kids[k.Kid]++
		cfg.JWKS = []byte(`{"keys":[` + string(raw) + `]}`)
		if _, err := cognito.NewVerifier(cfg); err != nil {
			out[i].Error = err.Error()
		}
	}
	for i := range out {
		if out[i].Error == "" && kids[out[i].Kid] > 1 {
			out[i].Error = "the kid appears more than once in the set: Verify refuses tokens naming it"
		}
		out[i].Usable = out[i].Error == ""
	}
	return out
}

var errJWKSTooLarge = fmt.Errorf("the key set is larger than %d bytes, more than the library accepts", maxJWKSBytes)

// download fetches url as the library fetches keys: GET, no redirects,
// bounded in time and size, 200 only.
func (c *cli) download(url string) ([]byte, error) {
	client := &http.Client{}
	if c.httpClient != nil {
		*client = *c.httpClient
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("unexpected HTTP status %q from %s", resp.Status, url)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, errJWKSTooLarge
	}
	return body, nil
}

// save writes data to path through a temporary file in the same
// directory, so that a reader never sees half a key set; "-" is stdout.
func save(path string, data []byte, stdout io.Writer) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".jwks-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
