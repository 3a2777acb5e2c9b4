package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// TokenVerifier verifies a token and returns its claims. [*Verifier]
// implements it; so can a verifier of several pools.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*Claims, error)
}

// MiddlewareOption configures [Middleware]. Options are checked when the
// middleware is built: a rule that would pass everyone (an empty group or
// scope name, say from an unset environment variable) makes Middleware
// panic at start-up rather than open the route.
type MiddlewareOption func(*middleware)

// RequireGroups adds a rule: the token must hold at least one of groups in
// cognito:groups, or the route answers 403 insufficient_scope. Each call is
// one rule and every rule must hold, so
//
//	RequireGroups("admin", "owner"), RequireGroups("mfa-verified")
//
// admits an admin or an owner, and only when also in mfa-verified. The
// rules add to the verifier's own Config.Groups. An empty name, or no name,
// panics when the middleware is built.
func RequireGroups(groups ...string) MiddlewareOption {
	rule := slices.Clone(groups)
	return func(m *middleware) {
		m.mustRule("RequireGroups", rule)
		m.groups = append(m.groups, rule)
	}
}

// RequireScopes adds a rule: the access token must grant at least one of
// scopes, or the route answers 403 insufficient_scope. As with
// [RequireGroups], each call is one rule, every rule must hold (so
// RequireScopes("notes/read"), RequireScopes("notes/write") needs both),
// and group and scope rules must all hold together. An empty name, or no
// name, panics when the middleware is built.
func RequireScopes(scopes ...string) MiddlewareOption {
	rule := slices.Clone(scopes)
	return func(m *middleware) {
		m.mustRule("RequireScopes", rule)
		m.scopes = append(m.scopes, rule)
	}
}

// RequireTokenUse adds a rule: the token must be of kind use (AccessToken
// or IDToken), or the route answers 401 invalid_token, as a verifier
// configured for the other kind would. It is for a verifier that accepts
// both (Config.TokenUse AnyTokenUse). Any other value panics when the
// middleware is built.
func RequireTokenUse(use TokenUse) MiddlewareOption {
	return func(m *middleware) {
		if use != AccessToken && use != IDToken {
			panic(fmt.Sprintf("cognito: RequireTokenUse needs AccessToken or IDToken, not %q", use))
		}
		if m.tokenUse != "" && m.tokenUse != use {
			panic("cognito: RequireTokenUse given both kinds: no token could pass")
		}
		m.tokenUse = use
	}
}

// RequirePrincipal adds a rule: the token must be issued to a user
// (UserPrincipal: a route for people refuses machine-to-machine tokens) or
// be a machine-to-machine token (MachinePrincipal), see
// [Claims.IsMachine]; or the route answers 403 insufficient_scope.
// AnyPrincipal, an unknown value, or both kinds on one route panic when
// the middleware is built.
func RequirePrincipal(p Principal) MiddlewareOption {
	return func(m *middleware) {
		if p != UserPrincipal && p != MachinePrincipal {
			panic(fmt.Sprintf("cognito: RequirePrincipal needs UserPrincipal or MachinePrincipal, not %d", p))
		}
		if m.principal != AnyPrincipal && m.principal != p {
			panic("cognito: RequirePrincipal given both kinds: no token could pass")
		}
		m.principal = p
	}
}

// RequireACR adds a rule: the token's acr must be one of values (exact
// match, such as "urn:cognito:loa:3"). Each call is one rule and every
// rule must hold. A failure answers 401 with error
// "insufficient_user_authentication" and acr_values, the step-up challenge
// of RFC 9470, so that the client signs the user in again with one of
// those levels. An empty value, one with a space, quote, backslash or
// control character (none of which a Cognito level name may hold, and
// which could not be sent in acr_values), or no value panics when the
// middleware is built.
func RequireACR(values ...string) MiddlewareOption {
	rule := slices.Clone(values)
	return func(m *middleware) {
		m.mustRule("RequireACR", rule)
		for _, v := range rule {
			if strings.ContainsAny(v, " \"\\") || strings.ContainsFunc(v, unicode.IsControl) {
				panic(fmt.Sprintf("cognito: RequireACR value %q cannot be sent in acr_values", v))
			}
		}
		m.acr = append(m.acr, rule)
	}
}

// RequireAuthAge adds a rule: the user must have signed in (auth_time, kept
// by Cognito across refreshes) at most d before the token was verified,
// measured with the verifier's clock (Config.Now of the token's pool) when
// the verifier is a *Verifier or *MultiVerifier, else time.Now. A token without auth_time fails. A
// failure answers 401 with error "insufficient_user_authentication" and
// max_age, the step-up challenge of RFC 9470. With several calls the
// shortest wins. A d under one second panics when the middleware is built.
func RequireAuthAge(d time.Duration) MiddlewareOption {
	return func(m *middleware) {
		if d < time.Second {
			panic(fmt.Sprintf("cognito: RequireAuthAge(%v): at least a second", d))
		}
		if m.maxAuthAge == 0 || d < m.maxAuthAge {
			m.maxAuthAge = d
		}
	}
}

// WithLogger logs each refusal with its reason: rejected tokens and bad
// requests at Info, verifier failures at Error. Tokens are never logged.
func WithLogger(l *slog.Logger) MiddlewareOption { return func(m *middleware) { m.log = l } }

// WithTokenHeader takes the token from the named header instead of
// Authorization: the whole value, without a scheme, as an Application Load
// Balancer sends x-amzn-oidc-data. The header must appear once.
func WithTokenHeader(name string) MiddlewareOption {
	return func(m *middleware) {
		if strings.TrimSpace(name) == "" {
			panic("cognito: WithTokenHeader needs a header name")
		}
		m.header = http.CanonicalHeaderKey(name)
	}
}

// Optional lets requests without a token through to the next handler with
// no claims in the context (an anonymous caller): [ClaimsFromContext]
// reports false. A token that is sent is still verified, and a bad one
// still answers 401; the route's rules apply to every token.
func Optional() MiddlewareOption { return func(m *middleware) { m.optional = true } }

type middleware struct {
	v        TokenVerifier
	next     http.Handler
	groups   [][]string // each an any-of rule; all must hold
	scopes   [][]string
	header   string // "": Authorization
	optional bool
	log      *slog.Logger

	// Rules on the token's kind, principal and sign-in.
	acr        [][]string    // each an any-of rule; all must hold
	tokenUse   TokenUse      // "": either kind
	principal  Principal     // AnyPrincipal: either
	maxAuthAge time.Duration // 0: no rule
}

func (m *middleware) mustRule(option string, rule []string) {
	if len(rule) == 0 {
		panic("cognito: " + option + " needs at least one name")
	}
	if slices.Contains(rule, "") {
		panic("cognito: " + option + ` was given an empty name (an unset variable?): it would admit everyone`)
	}
}

// Middleware returns a handler that verifies the request's token with v and
// calls next with the claims in the request context (see
// [ClaimsFromContext]). The token comes from the Authorization header as
// "Bearer <token>" (scheme case-insensitive) or as the bare token, the form
// API Gateway's Cognito authorizers take (or from another header, see
// [WithTokenHeader]). Refusals follow RFC 6750, with a JSON body that never
// echoes the token:
//
//   - no token: 401 and WWW-Authenticate: Bearer
//   - a rejected token: 401 and error="invalid_token"
//   - a missing group or scope, a machine token on a route for users (or
//     the reverse), a failed Config.ClaimRules rule: 403 and
//     error="insufficient_scope"
//   - a sign-in too old or at an unaccepted level (Config.MaxAuthAge and
//     ACRValues, [RequireAuthAge], [RequireACR]): 401 and
//     error="insufficient_user_authentication", RFC 9470's step-up
//     challenge (with max_age or acr_values for a route's rule)
//   - two token headers, or a token in the query string: 400 invalid_request
//   - the verifier could not decide (keys unavailable): 500, never 401, never next
//
// A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)
// carries no credentials by design: it goes to next without claims, for the
// CORS handler that answers it. Handlers that serve OPTIONS must not treat
// it as authenticated.
//
// Behind another Middleware, the inner one does not verify the request
// again: it applies its own rules to the claims the outer one verified (a
// private copy, so handlers in between cannot change the decision). Use it
// for per-route rules under one verifying middleware.
//
// Middleware panics if v or next is nil, or an option is invalid. The
// handler is safe for concurrent use.
func Middleware(v TokenVerifier, next http.Handler, opts ...MiddlewareOption) http.Handler {
	if v == nil || next == nil {
		panic("cognito: Middleware needs a verifier and a next handler")
	}
	m := &middleware{v: v, next: next}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Middleware is [Middleware] with v as the verifier.
func (v *Verifier) Middleware(next http.Handler, opts ...MiddlewareOption) http.Handler {
	return Middleware(v, next, opts...)
}

type claimsKey struct{}

// verified is what Middleware puts in the request context: the claims
// handed to handlers, and a private copy for the decisions of nested
// middleware.
type verified struct {
	public  *Claims
	private Claims
}

// ClaimsFromContext returns the claims [Middleware] verified for the
// request. It reports false for an anonymous request ([Optional]) and a
// CORS preflight.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	vc, ok := ctx.Value(claimsKey{}).(*verified)
	if !ok || vc == nil {
		return nil, false
	}
	return vc.public, true
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		m.next.ServeHTTP(w, r)
		return
	}
	if vc, ok := r.Context().Value(claimsKey{}).(*verified); ok && vc != nil {
		// An outer Middleware verified this request.
		if m.authorize(w, r, &vc.private) {
			m.next.ServeHTTP(w, r)
		}
		return
	}
	token, ok := m.token(w, r)
	if !ok {
		return
	}
	if token == "" {
		if m.optional {
			m.next.ServeHTTP(w, r)
			return
		}
		// RFC 6750 §3.1: no error code when no credentials were sent.
		m.refuse(w, r, http.StatusUnauthorized, "", "a bearer token is required", nil)
		return
	}
	claims, err := m.v.Verify(r.Context(), token)
	switch {
	case err == nil:
	case errors.Is(err, ErrKeysUnavailable):
		// Checked first: an error that could mean "unsure" is never a 401.
		m.refuse(w, r, http.StatusInternalServerError, "server_error", "the token could not be verified", err)
		return
	case errors.Is(err, ErrGroup), errors.Is(err, ErrScope), errors.Is(err, ErrPrincipal), errors.Is(err, ErrClaimRule):
		m.refuse(w, r, http.StatusForbidden, "insufficient_scope", describe(err), err)
		return
	case errors.Is(err, ErrAuthAge), errors.Is(err, ErrACR):
		// RFC 9470: a valid token whose sign-in is too old or too weak.
		m.refuse(w, r, http.StatusUnauthorized, "insufficient_user_authentication", describe(err), err)
		return
	case errors.Is(err, ErrInvalidToken):
		m.refuse(w, r, http.StatusUnauthorized, "invalid_token", describe(err), err)
		return
	default:
		m.refuse(w, r, http.StatusInternalServerError, "server_error", "the token could not be verified", err)
		return
	}
	if claims == nil {
		m.refuse(w, r, http.StatusInternalServerError, "server_error", "the verifier returned no claims", nil)
		return
	}
	// Decide on a copy no handler can reach; hand the verifier's own value
	// to the handlers.
	vc := &verified{public: claims}
	claims.copyTo(&vc.private)
	if m.authorize(w, r, &vc.private) {
		m.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, vc)))
	}
}

// token returns the request's token, "" when none was sent, or false
// after refusing the request.
func (m *middleware) token(w http.ResponseWriter, r *http.Request) (string, bool) {
	if r.URL.RawQuery != "" && r.URL.Query().Has("access_token") {
		m.refuse(w, r, http.StatusBadRequest, "invalid_request", "tokens in the query string are not accepted", nil)
		return "", false
	}
	name := m.header
	if name == "" {
		name = "Authorization"
	}
	values := r.Header.Values(name)
	if len(values) > 1 {
		m.refuse(w, r, http.StatusBadRequest, "invalid_request", "more than one "+name+" header", nil)
		return "", false
	}
	var value string
	if len(values) == 1 {
		value = values[0]
	}
	if m.header != "" {
		return strings.Trim(value, " \t"), true
	}
	token, ok := BearerToken(value)
	if !ok {
		if v := strings.Trim(value, " \t"); v != "" && !strings.EqualFold(v, "Bearer") {
			m.refuse(w, r, http.StatusUnauthorized, "invalid_token", "the Authorization scheme is not Bearer", nil)
			return "", false
		}
		return "", true
	}
	return token, true
}

// authorize applies the route's rules to c, refusing the request when one
// fails. Each answers as the verifier-level rule of the same kind does.
func (m *middleware) authorize(w http.ResponseWriter, r *http.Request, c *Claims) bool {
	if m.tokenUse != "" && c.TokenUse != m.tokenUse {
		m.refuse(w, r, http.StatusUnauthorized, "invalid_token", ErrTokenUse.Error(), nil)
		return false
	}
	switch {
	case m.principal == UserPrincipal && c.IsMachine():
		m.refuse(w, r, http.StatusForbidden, "insufficient_scope", "a machine-to-machine token is not accepted here", nil)
		return false
	case m.principal == MachinePrincipal && !c.IsMachine():
		m.refuse(w, r, http.StatusForbidden, "insufficient_scope", "only machine-to-machine tokens are accepted here", nil)
		return false
	}
	if m.maxAuthAge > 0 {
		now := time.Now()
		if cv, ok := m.v.(clockedVerifier); ok {
			now = cv.clock(c)
		}
		if msg := authTooOld(c.AuthTime, now, m.maxAuthAge); msg != "" {
			m.stepUp(w, r, ErrAuthAge, `max_age="`+strconv.FormatInt(int64(m.maxAuthAge/time.Second), 10)+`"`, msg)
			return false
		}
	}
	for _, rule := range m.acr {
		if msg := acrMismatch(c.ACR, rule); msg != "" {
			m.stepUp(w, r, ErrACR, `acr_values="`+strings.Join(rule, " ")+`"`, msg)
			return false
		}
	}
	for _, rule := range m.groups {
		if !anyOf(rule, c.Groups) {
			m.refuse(w, r, http.StatusForbidden, "insufficient_scope", "the token holds none of the required groups", nil)
			return false
		}
	}
	for _, rule := range m.scopes {
		if !anyOf(rule, c.Scopes) {
			m.refuse(w, r, http.StatusForbidden, "insufficient_scope", "the token grants none of the required scopes", nil)
			return false
		}
	}
	return true
}

// BearerToken returns the token of an Authorization header value: "Bearer
// <token>" with the scheme in any case and one or more spaces, or a bare
// token (the form API Gateway's Cognito authorizers take). It reports false
// for an empty value, a scheme without a token, and any other scheme.
func BearerToken(authorization string) (string, bool) {
	v := strings.Trim(authorization, " \t")
	scheme, rest, found := strings.Cut(v, " ")
	if !found {
		if v == "" || strings.EqualFold(v, "Bearer") {
			return "", false
		}
		return v, true
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token := strings.TrimLeft(rest, " ")
	return token, token != ""
}

// describe returns the public description of a rejection: the reason,
// without the detail (which names expected values).
func describe(err error) string {
	var te *TokenError
	if errors.As(err, &te) {
		return te.Reason.Error()
	}
	return "invalid token"
}

// stepUp refuses a request whose token fails a route's authentication
// rule with RFC 9470's challenge: 401 insufficient_user_authentication
// with the parameter (acr_values or max_age) that says what would pass.
func (m *middleware) stepUp(w http.ResponseWriter, r *http.Request, reason error, param, detail string) {
	m.refuseWith(w, r, http.StatusUnauthorized, "insufficient_user_authentication", reason.Error(), param, reject(reason, "%s", detail))
}

func (m *middleware) refuse(w http.ResponseWriter, r *http.Request, status int, code, description string, err error) {
	m.refuseWith(w, r, status, code, description, "", err)
}

// refuseWith is refuse with extra auth-params (already quoted) in the
// challenge.
func (m *middleware) refuseWith(w http.ResponseWriter, r *http.Request, status int, code, description, params string, err error) {
	h := w.Header()
	switch {
	case status == http.StatusUnauthorized && code == "":
		h.Set("WWW-Authenticate", "Bearer")
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusBadRequest:
		challenge := `Bearer error="` + code + `", error_description="` + description + `"`
		if params != "" {
			challenge += ", " + params
		}
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	body := map[string]string{"error_description": description}
	if code != "" {
		body["error"] = code
	} else {
		body["error"] = "unauthorized"
	}
	_ = json.NewEncoder(w).Encode(body)

	if m.log != nil {
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []any{"status", status, "method", r.Method, "path", r.URL.Path, "reason", description}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		m.log.Log(r.Context(), level, "request refused", attrs...)
	}
}
