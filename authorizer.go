package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// ErrUnauthorized is the error an [Authorizer] returns for a missing or
// rejected token. Its text is exactly "Unauthorized", which API Gateway
// answers with 401; any other error makes it answer 500.
var ErrUnauthorized = errors.New("Unauthorized")

// forbiddenPrincipal is the principalId of the Deny-all policy answered
// when the verifier rejects a token for its groups or scopes only: the
// verifier returns no claims with an error, so the sub is not known.
const forbiddenPrincipal = "forbidden"

// TokenEvent is the event of a REST API TOKEN authorizer: the value of the
// token source header as the client sent it, and the method ARN. Its JSON
// names are those of aws-lambda-go's events.APIGatewayCustomAuthorizerRequest.
type TokenEvent struct {
	Type               string `json:"type"`
	AuthorizationToken string `json:"authorizationToken"`
	MethodARN          string `json:"methodArn"`
}

// RequestEvent is the event of a REST API REQUEST authorizer, and of an HTTP
// API authorizer with payload format 1.0 (Version "1.0"): the method ARN and
// the request's headers. It holds only the fields an [Authorizer] reads; its
// JSON names are those of aws-lambda-go's
// events.APIGatewayCustomAuthorizerRequestTypeRequest and
// events.APIGatewayV2CustomAuthorizerV1Request.
type RequestEvent struct {
	Type              string              `json:"type"`
	Version           string              `json:"version,omitempty"`
	MethodARN         string              `json:"methodArn"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
}

// HTTPAPIEvent is the event of an HTTP API authorizer with payload format
// 2.0 (Version "2.0"): the route ARN and the request's headers, which API
// Gateway gives in lower case with repeated headers joined by commas. Its
// JSON names are those of aws-lambda-go's
// events.APIGatewayV2CustomAuthorizerV2Request.
type HTTPAPIEvent struct {
	Version  string            `json:"version"`
	Type     string            `json:"type"`
	RouteARN string            `json:"routeArn"`
	Headers  map[string]string `json:"headers"`
}

// Route is a requirement on some methods and resources of the API: a token
// that meets the verifier's rules but not those of a Route is refused there
// with 403, and served everywhere else.
//
// Groups and Scopes are each any-of lists; a Route with both requires one
// of the groups and one of the scopes. When several Routes match a request,
// every one of them must hold.
type Route struct {
	Method   string   // GET, POST, PUT, PATCH, HEAD, DELETE, OPTIONS, or AllMethods
	Resource string   // a resource path as in AuthPolicy.AllowMethod: "/notes/*"; "*" matches any characters, "/" included
	Groups   []string // the token must be in at least one of these groups (cognito:groups)
	Scopes   []string // the token must grant at least one of these scopes (scope)
}

// AuthorizerConfig configures [NewAuthorizer]. The zero value is valid: no
// per-route requirements, no logging.
type AuthorizerConfig struct {
	// Routes are per-route requirements on top of the verifier's own rules
	// (Config.Groups and Config.Scopes apply to every route).
	Routes []Route
	// Logger receives one record per decision: allowed and refused tokens
	// at Info, decisions that could not be made at Error. Tokens are never
	// logged. Nil means no logging.
	Logger *slog.Logger
}

// Authorizer answers API Gateway's Lambda authorizer events with the answer
// of a [TokenVerifier]:
//
//	lambda.Start(authorizer.Handle)
//
// A token that verifies and meets the route requirements is allowed, with
// its sub as the principal and its claims in the context (see
// [NewAuthPolicyFromClaims]). The answers, for REST APIs (TOKEN and REQUEST
// authorizers, and HTTP APIs with payload 1.0, which take IAM policies) and
// for HTTP APIs with payload 2.0 (simple responses):
//
//	                                    REST, HTTP 1.0 (policy)          HTTP 2.0 (simple response)
//	valid token                         Allow {api}/{stage}/*/*          isAuthorized true
//	no token, rejected token,           error "Unauthorized" (401)       error "Unauthorized" (401)
//	  two Authorization headers
//	groups or scopes of the verifier    Deny {api}/{stage}/*/* (403)     isAuthorized false (403)
//	groups or scopes of a Route         Deny on that Route (403 there)   isAuthorized false on it (403)
//	keys unavailable, bad event or ARN  another error (500)              another error (500)
//
// These match [Middleware]: 401 for a token that is not acceptable, 403 for
// one that is but may not do this. The policy covers every route at once,
// because API Gateway caches it per token and reuses it for every method;
// a simple response says nothing about other routes, so with Routes on an
// HTTP API either turn result caching off or add $context.routeKey to the
// authorizer's identity sources.
//
// The token comes from authorizationToken (TOKEN) or the Authorization
// header (REQUEST, HTTP API), as "Bearer <token>" or the bare token, like
// [BearerToken]. An Authorizer is safe for concurrent use.
type Authorizer struct {
	v      TokenVerifier
	routes []Route
	log    *slog.Logger
}

// NewAuthorizer returns an authorizer verifying tokens with v. It fails on
// a nil v and on a Route with an invalid method or resource, or one that
// requires nothing (no group and no scope, or an empty name: think of
// Groups: []string{os.Getenv("ADMIN_GROUP")} with the variable unset).
func NewAuthorizer(v TokenVerifier, cfg AuthorizerConfig) (*Authorizer, error) {
	if vv, isVerifier := v.(*Verifier); v == nil || isVerifier && vv == nil {
		return nil, errors.New("cognito: NewAuthorizer needs a verifier")
	}
	a := &Authorizer{v: v, log: cfg.Logger}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	for i, r := range cfg.Routes {
		if !validVerb(r.Method) {
			return nil, fmt.Errorf("cognito: Routes[%d]: method %q is not GET, POST, PUT, PATCH, HEAD, DELETE, OPTIONS or *", i, r.Method)
		}
		resource, err := cleanResource(r.Resource)
		if err != nil {
			return nil, fmt.Errorf("cognito: Routes[%d]: %w", i, err)
		}
		if len(r.Groups) == 0 && len(r.Scopes) == 0 {
			return nil, fmt.Errorf("cognito: Routes[%d] (%s %s) requires no group and no scope", i, r.Method, resource)
		}
		if slices.Contains(r.Groups, "") || slices.Contains(r.Scopes, "") {
			return nil, fmt.Errorf("cognito: Routes[%d] (%s %s) has an empty group or scope name", i, r.Method, resource)
		}
		a.routes = append(a.routes, Route{
			Method: r.Method, Resource: resource,
			Groups: slices.Clone(r.Groups), Scopes: slices.Clone(r.Scopes),
		})
	}
	return a, nil
}

// Handle answers any of the three events, told apart by their type and
// version: a [TokenEvent] with an [AuthorizerResponse], a [RequestEvent]
// with an AuthorizerResponse, an [HTTPAPIEvent] with a [SimpleResponse].
// When it returns an error, the response is nil.
func (a *Authorizer) Handle(ctx context.Context, event json.RawMessage) (any, error) {
	var probe struct {
		Type    string `json:"type"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(event, &probe); err != nil {
		return a.cannotDecide(ctx, fmt.Errorf("cognito: authorizer event is not a JSON object: %w", err))
	}
	switch {
	case probe.Type == "TOKEN" && probe.Version == "":
		var ev TokenEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return a.cannotDecide(ctx, fmt.Errorf("cognito: TOKEN authorizer event: %w", err))
		}
		return orNil(a.HandleToken(ctx, ev))
	case probe.Type == "REQUEST" && (probe.Version == "" || probe.Version == "1.0"):
		var ev RequestEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return a.cannotDecide(ctx, fmt.Errorf("cognito: REQUEST authorizer event: %w", err))
		}
		return orNil(a.HandleRequest(ctx, ev))
	case probe.Type == "REQUEST" && probe.Version == "2.0":
		var ev HTTPAPIEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return a.cannotDecide(ctx, fmt.Errorf("cognito: HTTP API authorizer event: %w", err))
		}
		return orNil(a.HandleHTTPAPI(ctx, ev))
	}
	return a.cannotDecide(ctx, fmt.Errorf("cognito: not an API Gateway authorizer event (type %q, version %q)",
		truncate(probe.Type), truncate(probe.Version)))
}

// orNil drops the response when there is an error, so the Lambda runtime
// reports only the error.
func orNil[T any](resp T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (a *Authorizer) cannotDecide(ctx context.Context, err error) (any, error) {
	a.log.ErrorContext(ctx, "authorizer could not decide", "error", err.Error())
	return nil, err
}

// HandleToken answers a REST API TOKEN authorizer event.
func (a *Authorizer) HandleToken(ctx context.Context, ev TokenEvent) (AuthorizerResponse, error) {
	return a.policy(ctx, ev.AuthorizationToken, ev.MethodARN)
}

// HandleRequest answers a REST API REQUEST authorizer event, or an HTTP API
// event of payload format 1.0. A request with more than one Authorization
// header (two names differing in case, several values, or headers and
// multiValueHeaders that disagree) is refused with [ErrUnauthorized]: which
// one API Gateway or the backend would take is not defined.
func (a *Authorizer) HandleRequest(ctx context.Context, ev RequestEvent) (AuthorizerResponse, error) {
	authz, err := authorizationHeader(ev.Headers, ev.MultiValueHeaders)
	if err != nil {
		a.log.InfoContext(ctx, "token refused", "reason", err.Error())
		return AuthorizerResponse{}, ErrUnauthorized
	}
	return a.policy(ctx, authz, ev.MethodARN)
}

// HandleHTTPAPI answers an HTTP API event of payload format 2.0 with a
// simple response (the authorizer needs enableSimpleResponses). With Routes,
// the route ARN names the request's method and path; one that does not
// (no method, a wildcard) is an error (500), never a guess.
func (a *Authorizer) HandleHTTPAPI(ctx context.Context, ev HTTPAPIEvent) (SimpleResponse, error) {
	authz, err := authorizationHeader(ev.Headers, nil)
	if err != nil {
		a.log.InfoContext(ctx, "token refused", "reason", err.Error())
		return SimpleResponse{}, ErrUnauthorized
	}
	var route MethodARN
	if len(a.routes) > 0 {
		// The route decides only when there are Routes; without them a route
		// ARN API Gateway may shape differently cannot fail a request.
		if route, err = ParseMethodARN(ev.RouteARN); err != nil {
			a.log.ErrorContext(ctx, "authorizer could not decide", "error", err.Error())
			return SimpleResponse{}, err
		}
	}
	claims, err := a.verify(ctx, authz)
	switch {
	case errors.Is(err, errForbidden):
		return SimpleResponse{}, nil
	case err != nil:
		return SimpleResponse{}, err
	}
	for _, r := range a.routes {
		if r.matches(route.Method, route.Resource) && !r.allows(claims) {
			a.log.InfoContext(ctx, "token forbidden on this route", "sub", claims.Subject,
				"route", route.Method+" "+route.Resource, "rule", r.Method+" "+r.Resource)
			return SimpleResponse{}, nil
		}
	}
	a.log.InfoContext(ctx, "token allowed", "sub", claims.Subject, "client_id", claims.ClientID)
	return NewSimpleResponse(claims), nil
}

// policy answers with an IAM policy over the whole API stage: API Gateway
// caches it per token and applies it to every method, so it allows the
// stage and denies each Route the token does not meet.
func (a *Authorizer) policy(ctx context.Context, authz, methodARN string) (AuthorizerResponse, error) {
	arn, err := ParseMethodARN(methodARN)
	if err != nil {
		a.log.ErrorContext(ctx, "authorizer could not decide", "error", err.Error())
		return AuthorizerResponse{}, err
	}
	claims, err := a.verify(ctx, authz)
	if errors.Is(err, errForbidden) {
		return a.build(ctx, NewAuthPolicy(forbiddenPrincipal, arn).DenyAllMethods())
	}
	if err != nil {
		return AuthorizerResponse{}, err
	}
	p := NewAuthPolicyFromClaims(claims, arn).AllowAllMethods()
	denied := 0
	for _, r := range a.routes {
		if !r.allows(claims) {
			p.DenyMethod(r.Method, r.Resource)
			denied++
		}
	}
	a.log.InfoContext(ctx, "token allowed", "sub", claims.Subject, "client_id", claims.ClientID, "denied_routes", denied)
	return a.build(ctx, p)
}

func (a *Authorizer) build(ctx context.Context, p *AuthPolicy) (AuthorizerResponse, error) {
	resp, err := p.Build()
	if err != nil {
		a.log.ErrorContext(ctx, "authorizer could not build the policy", "error", err.Error())
		return AuthorizerResponse{}, err
	}
	return resp, nil
}

// errForbidden is verify's answer for a token the verifier rejected for its
// groups or scopes only; it never leaves the package.
var errForbidden = errors.New("cognito: token lacks a required group or scope")

// verify returns the token's claims; [ErrUnauthorized] for a missing or
// rejected token; errForbidden for a token refused for its groups or
// scopes; any other error when the verifier could not decide.
func (a *Authorizer) verify(ctx context.Context, authz string) (*Claims, error) {
	token, ok := BearerToken(authz)
	if !ok {
		a.log.InfoContext(ctx, "token refused", "reason", "no bearer token")
		return nil, ErrUnauthorized
	}
	claims, err := a.v.Verify(ctx, token)
	switch {
	case err == nil && claims != nil:
		return claims, nil
	case err == nil:
		err = errors.New("cognito: the verifier returned neither claims nor an error")
	case errors.Is(err, ErrKeysUnavailable):
		// Checked first: an error that could mean "unsure" is never a 401.
	case errors.Is(err, ErrInvalidToken) && (errors.Is(err, ErrGroup) || errors.Is(err, ErrScope)):
		a.log.InfoContext(ctx, "token forbidden", "reason", err.Error())
		return nil, errForbidden
	case errors.Is(err, ErrInvalidToken):
		a.log.InfoContext(ctx, "token refused", "reason", err.Error())
		return nil, ErrUnauthorized
	}
	a.log.ErrorContext(ctx, "authorizer could not decide", "error", err.Error())
	return nil, fmt.Errorf("cognito: authorizer could not verify the token: %w", err)
}

// matches reports whether the route covers method and resource, with IAM's
// meaning of "*" in an execute-api ARN: any characters, "/" included.
func (r Route) matches(method, resource string) bool {
	return (r.Method == AllMethods || r.Method == method) && glob(r.Resource, resource)
}

// allows reports whether the claims meet the route's requirements.
func (r Route) allows(c *Claims) bool {
	return (len(r.Groups) == 0 || anyOf(r.Groups, c.Groups)) &&
		(len(r.Scopes) == 0 || anyOf(r.Scopes, c.Scopes))
}

// glob matches s against pattern, where "*" matches any run of characters.
// It backtracks only to the last star, so it takes time linear in
// len(pattern)*len(s), whatever the number of stars.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// authorizationHeader returns the request's one Authorization value, read
// the same way whatever order Go gives the maps in: every name that is
// "authorization" in any case is looked at, and more than one value is an
// error.
func authorizationHeader(headers map[string]string, multi map[string][]string) (string, error) {
	var value string
	n := 0
	for k, v := range headers {
		if strings.EqualFold(k, "Authorization") {
			value = v
			n++
		}
	}
	if n > 1 {
		return "", fmt.Errorf("%d Authorization headers differing in case", n)
	}
	m := 0
	for k, vs := range multi {
		if !strings.EqualFold(k, "Authorization") {
			continue
		}
		m += len(vs)
		if len(vs) == 1 && n == 1 && vs[0] != value {
			return "", errors.New("headers and multiValueHeaders disagree on Authorization")
		}
		if len(vs) == 1 && n == 0 {
			value = vs[0]
		}
	}
	if m > 1 {
		return "", fmt.Errorf("%d Authorization header values", m)
	}
	return value, nil
}
