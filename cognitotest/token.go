package cognitotest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TokenOption changes a token minted by [Pool.AccessToken], [Pool.IDToken]
// or [Pool.MachineToken].
type TokenOption func(*tokenSpec)

type tokenSpec struct {
	header  map[string]any
	claims  map[string]any
	user    string
	expIn   time.Duration
	authAgo time.Duration
}

// WithUser mints the token for username; sub is a UUID derived from the pool
// and username, so it is stable across tokens of one user (default
// DefaultUsername).
func WithUser(username string) TokenOption { return func(s *tokenSpec) { s.user = username } }

// WithClaim sets claim name to value (any JSON-encodable value), replacing
// the default.
func WithClaim(name string, value any) TokenOption {
	return func(s *tokenSpec) { s.claims[name] = value }
}

// WithoutClaim removes claim name.
func WithoutClaim(name string) TokenOption { return func(s *tokenSpec) { delete(s.claims, name) } }

// WithHeader sets header parameter name to value. The token is still signed
// with the pool's key, so WithHeader("kid", "other") names a kid that did
// not sign it.
func WithHeader(name string, value any) TokenOption {
	return func(s *tokenSpec) { s.header[name] = value }
}

// WithoutHeader removes header parameter name.
func WithoutHeader(name string) TokenOption { return func(s *tokenSpec) { delete(s.header, name) } }

// WithGroups sets cognito:groups.
func WithGroups(groups ...string) TokenOption { return WithClaim("cognito:groups", groups) }

// WithScopes sets the access token's scope (space-separated).
func WithScopes(scopes ...string) TokenOption { return WithClaim("scope", strings.Join(scopes, " ")) }

// WithResource binds an access token to resources, as Cognito does when
// the app requests a resource binding: aud is the one resource identifier
// as a string, or several as an array (AWS does not say which form
// several take; the verifier accepts both).
func WithResource(resources ...string) TokenOption {
	if len(resources) == 1 {
		return WithClaim("aud", resources[0])
	}
	return WithClaim("aud", resources)
}

// WithACR sets acr, the authentication level the user reached, such as
// "urn:cognito:loa:2".
func WithACR(acr string) TokenOption { return WithClaim("acr", acr) }

// WithAMR sets amr, the authentication methods used, such as "pwd", "otp",
// "mfa".
func WithAMR(methods ...string) TokenOption { return WithClaim("amr", append([]string{}, methods...)) }

// AuthenticatedAgo sets auth_time to the pool's now minus d: a user who
// signed in d ago (Cognito keeps auth_time across refreshes).
func AuthenticatedAgo(d time.Duration) TokenOption {
	return func(s *tokenSpec) { s.authAgo = d }
}

// ExpiresIn sets exp to the pool's now plus d (default one hour; negative
// for an expired token).
func ExpiresIn(d time.Duration) TokenOption { return func(s *tokenSpec) { s.expIn = d } }

// Subject returns the sub the pool puts in tokens of username.
func (p *Pool) Subject(username string) string {
	h := sha256.Sum256([]byte(p.PoolID + "/" + username))
	h[6] = h[6]&0x0f | 0x40 // version 4 layout
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// AccessToken mints an access token shaped like Cognito's: sub, iss,
// client_id, origin_jti, event_id, token_use "access", scope
// "aws.cognito.signin.user.admin", auth_time, exp (in one hour), iat, jti and
// username, signed with the pool's access key.
func (p *Pool) AccessToken(opts ...TokenOption) string {
	return p.mint("access", opts)
}

// IDToken mints an ID token shaped like Cognito's: sub, aud, email_verified,
// token_use "id", auth_time, iss, cognito:username, exp, iat, email, jti,
// origin_jti and event_id, signed with the pool's ID key.
func (p *Pool) IDToken(opts ...TokenOption) string {
	return p.mint("id", opts)
}

// DefaultMachineScope is the scope of a [Pool.MachineToken] without
// WithScopes: a resource-server scope ({resource server}/{scope}), the only
// kind a client-credentials token carries.
const DefaultMachineScope = "api/read"

// MachineToken mints a machine-to-machine access token, as the client
// credentials grant or GetClientToken issue to the pool's app client: sub
// and client_id both ClientID, token_use "access", scope
// DefaultMachineScope (set others with WithScopes), iss, auth_time (the
// time of issue), exp, iat, jti and version; no username, no
// cognito:groups, no origin_jti, signed with the pool's access key.
// WithUser has no effect on it.
func (p *Pool) MachineToken(opts ...TokenOption) string {
	return p.mint("machine", opts)
}

func (p *Pool) mint(use string, opts []TokenOption) string {
	p.mu.Lock()
	k := p.access
	if use == "id" {
		k = p.id
	}
	p.mu.Unlock()

	now := p.now()
	s := &tokenSpec{
		header: map[string]any{"kid": k.kid, "alg": "RS256"},
		claims: map[string]any{},
		user:   DefaultUsername,
		expIn:  time.Hour,
	}
	// Options run twice: first to learn the user and lifetime the default
	// claims depend on, then over the defaults so they win.
	for _, o := range opts {
		o(s)
	}
	s.claims = map[string]any{
		"sub":        p.Subject(s.user),
		"iss":        p.Issuer(),
		"token_use":  use,
		"auth_time":  now.Add(-s.authAgo).Unix(),
		"iat":        now.Unix(),
		"exp":        now.Add(s.expIn).Unix(),
		"jti":        uuid(),
		"origin_jti": uuid(),
		"event_id":   uuid(),
	}
	switch use {
	case "machine":
		s.claims = map[string]any{
			"sub":       p.ClientID,
			"client_id": p.ClientID,
			"iss":       p.Issuer(),
			"token_use": "access",
			"scope":     DefaultMachineScope,
			"auth_time": now.Add(-s.authAgo).Unix(),
			"iat":       now.Unix(),
			"exp":       now.Add(s.expIn).Unix(),
			"jti":       uuid(),
			"version":   2,
		}
	case "access":
		s.claims["client_id"] = p.ClientID
		s.claims["scope"] = "aws.cognito.signin.user.admin"
		s.claims["username"] = s.user
	default:
		s.claims["aud"] = p.ClientID
		s.claims["cognito:username"] = s.user
		s.claims["email"] = s.user + "@example.com"
		s.claims["email_verified"] = true
	}
	s.header = map[string]any{"kid": k.kid, "alg": "RS256"}
	for _, o := range opts {
		o(s)
	}
	header, err := json.Marshal(s.header)
	if err != nil {
		panic("cognitotest: header: " + err.Error())
	}
	payload, err := json.Marshal(s.claims)
	if err != nil {
		panic("cognitotest: claims: " + err.Error())
	}
	return SignWith(k.key, header, payload)
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
