// Package proxy serves API Gateway Lambda proxy events (REST payload 1.0,
// HTTP API payload 2.0) with the Notes API, acting for the user the
// authorizer established: requestContext.authorizer.principalId (REST) or
// requestContext.authorizer.lambda.sub (HTTP API), the token's sub. Never
// the request's body, path or headers.
package proxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognito-verify/cognito/examples/notes"
)

// Function serves API Gateway proxy events with the Notes API handler. It
// is safe for concurrent use.
type Function struct {
	api http.Handler
	log *slog.Logger
}

type userKey struct{}

// New returns a Function storing notes in store.
func New(store notes.Store, log *slog.Logger) *Function {
	user := func(r *http.Request) (string, bool) {
		id, ok := r.Context().Value(userKey{}).(string)
		return id, ok && id != ""
	}
	return &Function{api: notes.NewHandler(store, user, log), log: log}
}

// Handle answers a proxy event; it dispatches on the payload version: 2.0
// is an HTTP API event, anything else a REST API (payload 1.0) event. The
// response is an events.APIGatewayV2HTTPResponse or an
// events.APIGatewayProxyResponse.
func (f *Function) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("notes: event is not a JSON object: %w", err)
	}
	if probe.Version == "2.0" {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("notes: HTTP API event: %w", err)
		}
		user := ""
		if ev.RequestContext.Authorizer != nil {
			user, _ = ev.RequestContext.Authorizer.Lambda["sub"].(string)
		}
		id, route := httpAPIRoute(ev.RawPath, ev.RequestContext.Stage)
		status, headers, body, err := f.serve(ctx, user, ev.RequestContext.HTTP.Method, route, id, ev.Headers, ev.Body, ev.IsBase64Encoded)
		if err != nil {
			return nil, err
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: body}, nil
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("notes: REST API event: %w", err)
	}
	user, _ := ev.RequestContext.Authorizer["principalId"].(string)
	route, id := ev.Resource, ev.PathParameters["noteid"]
	if route != routeNotes && route != routeNote {
		route = ""
	}
	status, headers, body, err := f.serve(ctx, user, ev.HTTPMethod, route, id, ev.Headers, ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: headers, Body: body}, nil
}

// The API's two resources, as the template declares them.
const (
	routeNotes = "/notes"
	routeNote  = "/notes/{noteid}"
)

// httpAPIRoute finds the resource of an HTTP API request in its raw path,
// taken as given: never parsed as a URL, so "?" and "#" (escaped, as the
// client had to send them) are part of a note ID, and an escape that does
// not decode ("100%") stands for itself. A stage name API Gateway put in
// front of the path is not part of it.
func httpAPIRoute(rawPath, stage string) (id, route string) {
	if stage != "" && stage != "$default" {
		if rest, ok := strings.CutPrefix(rawPath, "/"+stage); ok && (rest == "" || rest[0] == '/') {
			rawPath = rest
		}
	}
	if rawPath == routeNotes {
		return "", routeNotes
	}
	seg, ok := strings.CutPrefix(rawPath, routeNotes+"/")
	if !ok || seg == "" || strings.Contains(seg, "/") {
		return "", ""
	}
	if id, err := url.PathUnescape(seg); err == nil {
		return id, routeNote
	}
	return seg, routeNote
}

// serve runs one request through the Notes handler. route is routeNotes,
// routeNote (with the note's id) or "" for a resource the API does not
// have. The request's URL is built from them, never parsed from the event,
// so no character of a note ID can change the route.
func (f *Function) serve(ctx context.Context, user, method, route, id string, headers map[string]string, body string, b64 bool) (int, map[string]string, string, error) {
	payload := []byte(body)
	if b64 {
		var err error
		if payload, err = base64.StdEncoding.DecodeString(body); err != nil {
			return 0, nil, "", fmt.Errorf("notes: body is not base64: %w", err)
		}
	}
	if user == "" {
		// API Gateway let the request through without an authorizer's
		// answer: a deployment error, never a reason to guess a user.
		f.log.ErrorContext(ctx, "no authorizer principal in the event")
	}
	var u *url.URL
	switch {
	case route == routeNotes:
		u = &url.URL{Path: routeNotes}
	case route == routeNote && id != "":
		u = &url.URL{Path: routeNotes + "/" + id, RawPath: routeNotes + "/" + url.PathEscape(id)}
	default:
		return http.StatusNotFound, map[string]string{"Content-Type": "application/json"}, `{"error":"no such resource"}` + "\n", nil
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, userKey{}, user), method, "/", bytes.NewReader(payload))
	if err != nil {
		return 0, nil, "", fmt.Errorf("notes: request: %w", err)
	}
	req.URL = u
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := &response{header: http.Header{}}
	f.api.ServeHTTP(w, req)
	out := map[string]string{}
	for k, v := range w.header {
		out[k] = strings.Join(v, ",")
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.status, out, w.body.String(), nil
}

// response is the http.ResponseWriter the handler writes into.
type response struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *response) Header() http.Header { return r.header }

func (r *response) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *response) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
