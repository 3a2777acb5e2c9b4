package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// TokenVerifier verifies a token and returns its claims. [*Verifier]
// implements it; so can a verifier of several pools.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*Claims, error)
}

// MiddlewareOption configures [Middleware].
type MiddlewareOption func(*middleware)

// RequireGroups makes the route answer 403 insufficient_scope unless the
// token holds at least one of groups. It adds to the verifier's own rules.
func RequireGroups(groups ...string) MiddlewareOption {
	return func(m *middleware) { m.groups = append(m.groups, groups...) }
}

// RequireScopes makes the route answer 403 insufficient_scope unless the
// token grants at least one of scopes.
func RequireScopes(scopes ...string) MiddlewareOption {
	return func(m *middleware) { m.scopes = append(m.scopes, scopes...) }
}

// WithLogger logs each refusal: rejected tokens at Info with the reason,
// verifier failures at Error. Tokens are never logged.
func WithLogger(l *slog.Logger) MiddlewareOption { return func(m *middleware) { m.log = l } }

type middleware struct {
	v      TokenVerifier
	next   http.Handler
	groups []string
	scopes []string
	log    *slog.Logger
}

// Middleware returns a handler that verifies the request's token with v and
// calls next with the claims in the request context (see
// [ClaimsFromContext]). The token comes from the Authorization header as
// "Bearer <token>" (scheme case-insensitive) or as the bare token, the form
// API Gateway's Cognito authorizers take. Refusals follow RFC 6750, with a
// JSON body that never echoes the token:
//
//   - no token: 401 and WWW-Authenticate: Bearer
//   - a rejected token: 401 and error="invalid_token"
//   - a missing group or scope: 403 and error="insufficient_scope"
//   - two Authorization headers, or a token in the query string: 400 invalid_request
//   - the verifier could not decide (keys unavailable): 500, never 401, never next
//
// Middleware panics if v or next is nil. The handler is safe for concurrent use.
func Middleware(v TokenVerifier, next http.Handler, opts ...MiddlewareOption) http.Handler {
	if v == nil || next == nil {
		panic("cognito: Middleware needs a verifier and a next handler")
	}
	m := &middleware{v: v, next: next}
	for _, o := range opts {
		o(m)
	}
	m.groups, m.scopes = cloneNonEmpty(m.groups), cloneNonEmpty(m.scopes)
	return m
}

// Middleware is [Middleware] with v as the verifier.
func (v *Verifier) Middleware(next http.Handler, opts ...MiddlewareOption) http.Handler {
	return Middleware(v, next, opts...)
}

type claimsKey struct{}

// ClaimsFromContext returns the claims [Middleware] verified for the request.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	values := r.Header.Values("Authorization")
	if len(values) > 1 {
		m.refuse(w, r, http.StatusBadRequest, "invalid_request", "more than one Authorization header", nil)
		return
	}
	if r.URL.RawQuery != "" && r.URL.Query().Has("access_token") {
		m.refuse(w, r, http.StatusBadRequest, "invalid_request", "tokens in the query string are not accepted", nil)
		return
	}
	var value string
	if len(values) == 1 {
		value = values[0]
	}
	token, ok := BearerToken(value)
	if !ok {
		if v := strings.Trim(value, " \t"); v != "" && !strings.EqualFold(v, "Bearer") {
			m.refuse(w, r, http.StatusUnauthorized, "invalid_token", "the Authorization scheme is not Bearer", nil)
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
	case errors.Is(err, ErrGroup), errors.Is(err, ErrScope):
		m.refuse(w, r, http.StatusForbidden, "insufficient_scope", describe(err), err)
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
	if len(m.groups) > 0 && !anyOf(m.groups, claims.Groups) {
		m.refuse(w, r, http.StatusForbidden, "insufficient_scope", "the token holds none of the required groups", nil)
		return
	}
	if len(m.scopes) > 0 && !anyOf(m.scopes, claims.Scopes) {
		m.refuse(w, r, http.StatusForbidden, "insufficient_scope", "the token grants none of the required scopes", nil)
		return
	}
	m.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
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

func (m *middleware) refuse(w http.ResponseWriter, r *http.Request, status int, code, description string, err error) {
	h := w.Header()
	switch {
	case status == http.StatusUnauthorized && code == "":
		h.Set("WWW-Authenticate", "Bearer")
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusBadRequest:
		h.Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+description+`"`)
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
		attrs := []any{"status", status, "method", r.Method, "path", r.URL.Path}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		m.log.Log(r.Context(), level, "request refused", attrs...)
	}
}
