// Package browser_test runs the Notes API behind the middleware against a
// real browser: a page served from one origin calls the API on another with
// fetch and an Authorization: Bearer header, so the CORS preflight (which
// carries no token) must pass the middleware, the note must be created, and
// an expired token must be refused with a 401 the page can read.
//
// It needs headless Chromium (Debian: apt-get install chromium); without
// one it skips, except under CI, where .ci/run installs it.
package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// page calls the API the way a single-page app does and posts what it saw
// back to its own origin.
const page = `<!doctype html><meta charset="utf-8"><title>notes</title><pre id="out">running</pre>
<script>
const api = %q, token = %q, expired = %q;
async function call(method, path, tok, body) {
  const init = {method, headers: {"Authorization": "Bearer " + tok}};
  if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const r = await fetch(api + path, init);
  return {status: r.status, body: await r.text(), wwwAuth: r.headers.get("WWW-Authenticate")};
}
(async () => {
  const out = {};
  try {
    out.create = await call("POST", "/notes", token, {noteid: "1", note: "from the browser"});
    out.list = await call("GET", "/notes", token);
    out.expired = await call("GET", "/notes", expired);
  } catch (e) { out.error = String(e); }
  document.getElementById("out").textContent = JSON.stringify(out);
  await fetch("/result", {method: "POST", body: JSON.stringify(out)});
})();
</script>`

type answer struct {
	Status  int    `json:"status"`
	Body    string `json:"body"`
	WWWAuth string `json:"wwwAuth"`
}

func TestBrowserCORS(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium found: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("no Chromium found: install it (Debian: apt-get install chromium) to run the browser test")
	}

	pool := cognitotest.NewTestPool(t)
	v, err := cognito.NewVerifier(pool.Config())
	require.NoError(t, err)

	// The page's origin, and the API's: two servers, two origins.
	results := make(chan []byte, 1)
	var apiURL string // set before the site starts
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, page, apiURL, pool.AccessToken(cognitotest.WithUser("alice")), pool.AccessToken(cognitotest.ExpiresIn(-time.Minute)))
		case "/result":
			b, _ := io.ReadAll(r.Body)
			select {
			case results <- b:
			default:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	var siteOrigin atomic.Pointer[string] // set before the browser starts

	var preflights atomic.Int32
	store := &notes.MemoryStore{}
	handler := notes.NewHandler(store, notes.UserFromClaims, slog.New(slog.DiscardHandler))
	// The CORS answer to a preflight sits behind the middleware, which
	// must let the preflight through; every answer (401s included) carries
	// the allowed origin so the page can read it.
	cors := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			preflights.Add(1)
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		handler.ServeHTTP(w, r)
	})
	protected := v.Middleware(cors)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := siteOrigin.Load(); origin != nil && r.Header.Get("Origin") == *origin {
			w.Header().Set("Access-Control-Allow-Origin", *origin)
			w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate")
		}
		protected.ServeHTTP(w, r)
	}))
	t.Cleanup(api.Close)
	apiURL = api.URL
	site.Start()
	t.Cleanup(site.Close)
	siteOrigin.Store(&site.URL)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), site.URL+"/")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	var got struct {
		Create, List, Expired answer
		Error                 string
	}
	select {
	case b := <-results:
		require.NoError(t, json.Unmarshal(b, &got), string(b))
	case <-time.After(2 * time.Minute): // a bound on a hung browser, not a timing
		t.Fatalf("the page reported nothing; browser output:\n%s", stderr.String())
	}
	require.Empty(t, got.Error, "fetch failed in the page (a CORS refusal looks like this)")
	assert.Equal(t, 201, got.Create.Status, got.Create.Body)
	assert.Equal(t, 200, got.List.Status)
	assert.Contains(t, got.List.Body, "from the browser")
	assert.Equal(t, 401, got.Expired.Status)
	assert.Contains(t, got.Expired.WWWAuth, `error="invalid_token"`)
	assert.Positive(t, preflights.Load(), "the calls with Authorization were preflighted, and the preflights passed")

	stored, err := store.List(context.Background(), pool.Subject("alice"))
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Equal(t, "from the browser", stored[0].Note)
}

func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
