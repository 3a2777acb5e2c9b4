package proxy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognito-verify/cognito/examples/notes"
	"github.com/cognito-verify/cognito/examples/notes/dynamo"
	"github.com/cognito-verify/cognito/examples/notes/proxy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	alice = "2541d352-5d5f-447a-8b58-d0d6ca01f29b"
	bob   = "7b7e0d2c-1f9a-4c3e-9e4b-2f3c1d0a9b8c"
)

// event fills a testdata event for method and path as user, with body
// (nil: no body).
func event(t *testing.T, file, user, method, path string, body any) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	resource, params := path, "null"
	if id, ok := strings.CutPrefix(path, "/notes/"); ok {
		resource = "/notes/{noteid}"
		params = `{"noteid":` + jsonString(t, id) + `}`
	}
	b := "null"
	if body != nil {
		inner, err := json.Marshal(body)
		require.NoError(t, err)
		b = jsonString(t, string(inner))
	}
	r := strings.NewReplacer("{{USER}}", user, "{{METHOD}}", method, "{{PATH}}", path, "{{RESOURCE}}", resource,
		"{{PATHPARAMS}}", params, "{{BODY}}", b)
	return json.RawMessage(r.Replace(string(raw)))
}

func jsonString(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

// call runs an event and returns the status and body of either response type.
func call(t *testing.T, f *proxy.Function, ev json.RawMessage) (int, string) {
	t.Helper()
	out, err := f.Handle(context.Background(), ev)
	require.NoError(t, err)
	switch r := out.(type) {
	case events.APIGatewayProxyResponse:
		if r.Body != "" {
			assert.Equal(t, "application/json", r.Headers["Content-Type"])
		}
		return r.StatusCode, strings.TrimSpace(r.Body)
	case events.APIGatewayV2HTTPResponse:
		return r.StatusCode, strings.TrimSpace(r.Body)
	}
	t.Fatalf("unexpected response %T", out)
	return 0, ""
}

func stores(t *testing.T) map[string]func() notes.Store {
	m := map[string]func() notes.Store{"memory": func() notes.Store { return &notes.MemoryStore{} }}
	if ep := os.Getenv("DYNAMODB_ENDPOINT"); ep != "" {
		m["dynamodb"] = func() notes.Store {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			s := dynamo.NewLocal(ep, "Notes-"+hex.EncodeToString(b))
			require.NoError(t, s.CreateTable(context.Background()))
			return s
		}
	} else {
		t.Log("DYNAMODB_ENDPOINT is not set: the DynamoDB runs are skipped (.ci/run starts dynalite)")
	}
	return m
}

func TestNotesLambda(t *testing.T) {
	for storeName, newStore := range stores(t) {
		for _, file := range []string{"rest-event.json", "httpapi-event.json"} {
			t.Run(storeName+"/"+file, func(t *testing.T) {
				f := proxy.New(newStore(), slog.New(slog.DiscardHandler))
				ev := func(user, method, path string, body any) json.RawMessage {
					return event(t, file, user, method, path, body)
				}

				status, body := call(t, f, ev(alice, "POST", "/notes", map[string]string{"noteid": "1", "note": "hello"}))
				assert.Equal(t, 201, status)
				assert.JSONEq(t, `{"message":"Note created"}`, body)

				// The body cannot choose the user.
				status, _ = call(t, f, ev(bob, "POST", "/notes", map[string]string{"noteid": "2", "note": "bob's", "userId": alice}))
				assert.Equal(t, 201, status)

				status, body = call(t, f, ev(alice, "GET", "/notes", nil))
				assert.Equal(t, 200, status)
				assert.JSONEq(t, `{"notes":[{"noteid":"1","note":"hello"}]}`, body)
				status, body = call(t, f, ev(bob, "GET", "/notes/1", nil))
				assert.Equal(t, 404, status, "bob cannot read alice's note")
				status, body = call(t, f, ev(alice, "GET", "/notes/1", nil))
				assert.Equal(t, 200, status)
				assert.JSONEq(t, `{"noteid":"1","note":"hello"}`, body)

				status, _ = call(t, f, ev(alice, "POST", "/notes", map[string]string{"noteid": "1", "note": "again"}))
				assert.Equal(t, 409, status)
				status, body = call(t, f, ev(alice, "POST", "/notes", map[string]any{"noteid": 1, "note": "x"}))
				assert.Equal(t, 400, status)
				assert.Contains(t, body, "noteid must be a string")
				status, _ = call(t, f, ev(alice, "POST", "/notes", nil))
				assert.Equal(t, 400, status)

				status, _ = call(t, f, ev(bob, "DELETE", "/notes/1", nil))
				assert.Equal(t, 404, status, "bob cannot delete alice's note")
				status, _ = call(t, f, ev(alice, "DELETE", "/notes/1", nil))
				assert.Equal(t, 204, status)
				status, body = call(t, f, ev(alice, "GET", "/notes", nil))
				assert.Equal(t, 200, status)
				assert.JSONEq(t, `{"notes":[]}`, body)

				// No authorizer principal: refused, never guessed.
				status, _ = call(t, f, ev("", "GET", "/notes", nil))
				assert.Equal(t, 401, status)
			})
		}
	}
}

// Issue 15 §4: the route comes from the event's resource and path
// parameters (REST) or its raw path taken as given (HTTP API), never from
// parsing a path as a URL: "?" is part of a note ID, "%" too.
func TestNotesLambdaRoutesAsGiven(t *testing.T) {
	f := proxy.New(&notes.MemoryStore{}, slog.New(slog.DiscardHandler))
	for _, id := range []string{"a", "a?b", "100%", "x#y", "é", "a b"} {
		status, _ := call(t, f, event(t, "rest-event.json", alice, "POST", "/notes", map[string]string{"noteid": id, "note": "n " + id}))
		require.Equal(t, 201, status, id)
	}
	rest := func(id string) json.RawMessage { return event(t, "rest-event.json", alice, "GET", "/notes/"+id, nil) }
	httpAPI := func(rawPath, stage string) json.RawMessage {
		ev := event(t, "httpapi-event.json", alice, "GET", rawPath, nil)
		return json.RawMessage(strings.Replace(string(ev), `"stage": "$default"`, `"stage": "`+stage+`"`, 1))
	}
	for name, tc := range map[string]struct {
		ev     json.RawMessage
		status int
		note   string
	}{
		"REST a?b":                    {rest("a?b"), 200, "n a?b"},
		"REST 100%":                   {rest("100%"), 200, "n 100%"},
		"REST x#y":                    {rest("x#y"), 200, "n x#y"},
		"REST a b":                    {rest("a b"), 200, "n a b"},
		"HTTP API a%3Fb":              {httpAPI("/notes/a%3Fb", "$default"), 200, "n a?b"},
		"HTTP API a?b (not a query)":  {httpAPI("/notes/a?b", "$default"), 200, "n a?b"},
		"HTTP API 100% as given":      {httpAPI("/notes/100%", "$default"), 200, "n 100%"},
		"HTTP API 100%25":             {httpAPI("/notes/100%25", "$default"), 200, "n 100%"},
		"HTTP API x%23y":              {httpAPI("/notes/x%23y", "$default"), 200, "n x#y"},
		"HTTP API %C3%A9":             {httpAPI("/notes/%C3%A9", "$default"), 200, "n é"},
		"HTTP API named stage":        {httpAPI("/prod/notes/a", "prod"), 200, "n a"},
		"HTTP API a alone is a":       {httpAPI("/notes/a", "$default"), 200, "n a"},
		"HTTP API deeper path":        {httpAPI("/notes/a/b", "$default"), 404, ""},
		"HTTP API other resource":     {httpAPI("/admin", "$default"), 404, ""},
		"HTTP API stage-like segment": {httpAPI("/production/notes/a", "prod"), 404, ""},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := call(t, f, tc.ev)
			require.Equal(t, tc.status, status, body)
			if tc.note != "" {
				var n notes.Note
				require.NoError(t, json.Unmarshal([]byte(body), &n))
				assert.Equal(t, tc.note, n.Note)
			}
		})
	}
	// A REST resource the API does not have is a 404, whatever its path says.
	ev := strings.Replace(string(rest("a")), `"resource": "/notes/{noteid}"`, `"resource": "/other/{noteid}"`, 1)
	status, _ := call(t, f, json.RawMessage(ev))
	assert.Equal(t, 404, status)
}

func TestNotesLambdaBadEvents(t *testing.T) {
	f := proxy.New(&notes.MemoryStore{}, slog.New(slog.DiscardHandler))
	for _, raw := range []string{`not json`, `{"version":"2.0","body":5}`, `{"httpMethod":"GET","path":"/notes","body":"%%%","isBase64Encoded":true}`} {
		_, err := f.Handle(context.Background(), json.RawMessage(raw))
		assert.Error(t, err, raw)
	}
}
