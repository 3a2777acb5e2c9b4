package cognito

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/json"
)

// TokenUse is the kind of Cognito token, from its token_use claim.
type TokenUse string

// The two Cognito token kinds a [Verifier] accepts.
const (
	AccessToken TokenUse = "access"
	IDToken     TokenUse = "id"
)

// Claims are the verified claims of a Cognito access or ID token. A Claims
// value is returned only when every check passed; it is read-only and safe
// for concurrent reads.
type Claims struct {
	Subject  string   // sub: the user's stable ID (a UUID), never empty
	Username string   // username (access) or cognito:username (ID); empty for client-credentials tokens
	TokenUse TokenUse // token_use: "access" or "id"
	ClientID string   // client_id (access) or the matching aud (ID)
	Issuer   string   // iss
	Audience []string // aud (ID tokens)
	Groups   []string // cognito:groups
	Scopes   []string // scope, split on spaces (access tokens)

	Email         string // email (ID tokens)
	EmailVerified bool   // email_verified (ID tokens)

	AuthTime  time.Time // auth_time; zero when absent
	IssuedAt  time.Time // iat; zero when absent
	ExpiresAt time.Time // exp; always set
	NotBefore time.Time // nbf; zero when absent

	JTI       string // jti
	OriginJTI string // origin_jti
	EventID   string // event_id

	raw []byte // the payload JSON
}

// HasGroup reports whether the token lists group in cognito:groups. The
// comparison is exact.
func (c *Claims) HasGroup(group string) bool { return contains(c.Groups, group) }

// HasScope reports whether the token grants scope. The comparison is exact.
func (c *Claims) HasScope(scope string) bool { return contains(c.Scopes, scope) }

// Raw returns a copy of the token's payload JSON, with every claim including
// custom:* attributes.
func (c *Claims) Raw() []byte { return bytes.Clone(c.raw) }

// Decode decodes the token's payload JSON into v, for claims the typed
// fields do not carry. Member names match case-sensitively, as in [Verifier.Verify].
//
//	var attrs struct {
//		Tenant string `json:"custom:tenant"`
//	}
//	err := claims.Decode(&attrs)
func (c *Claims) Decode(v any) error { return json.Unmarshal(c.raw, v) }

// StringClaim returns the string claim name (for example "custom:tenant") and
// whether the token holds it as a JSON string.
func (c *Claims) StringClaim(name string) (string, bool) {
	var m map[string]any
	if json.Unmarshal(c.raw, &m) != nil {
		return "", false
	}
	s, ok := m[name].(string)
	return s, ok
}

// payload is the wire form of the claims the verifier reads. Pointers tell
// "absent or null" from "empty"; a wrongly typed member fails the decode.
type payload struct {
	Sub             *string      `json:"sub"`
	Iss             *string      `json:"iss"`
	TokenUse        *string      `json:"token_use"`
	ClientID        *string      `json:"client_id"`
	Aud             audience     `json:"aud"`
	Username        *string      `json:"username"`
	CognitoUsername *string      `json:"cognito:username"`
	Groups          *[]string    `json:"cognito:groups"`
	Scope           *string      `json:"scope"`
	Email           *string      `json:"email"`
	EmailVerified   flexBool     `json:"email_verified"`
	Exp             *numericDate `json:"exp"`
	Nbf             *numericDate `json:"nbf"`
	Iat             *numericDate `json:"iat"`
	AuthTime        *numericDate `json:"auth_time"`
	JTI             *string      `json:"jti"`
	OriginJTI       *string      `json:"origin_jti"`
	EventID         *string      `json:"event_id"`
}

// decodePayload decodes the payload JSON; errors are token rejections.
func decodePayload(data []byte) (*payload, error) {
	if len(data) == 0 || data[0] != '{' {
		return nil, reject(ErrMalformed, "payload is not a JSON object")
	}
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) || errors.Is(err, errNumericDate) || errors.Is(err, errAudience) || errors.Is(err, errBool) {
			return nil, reject(ErrClaim, "%v", err)
		}
		return nil, reject(ErrMalformed, "payload: %v", err)
	}
	return &p, nil
}

// checkPayload applies the configured rules, signature already verified.
func (v *Verifier) checkPayload(p *payload, raw []byte) (*Claims, error) {
	if p.Exp == nil {
		// Cognito always sets exp; a token without one never expires.
		return nil, reject(ErrClaim, "exp is missing")
	}
	now := v.now()
	exp := p.Exp.time()
	// RFC 7519 §4.1.4: the current time MUST be before exp.
	if !now.Before(exp.Add(v.leeway)) {
		return nil, reject(ErrExpired, "expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if p.Nbf != nil && now.Add(v.leeway).Before(p.Nbf.time()) {
		return nil, reject(ErrNotYetValid, "not valid before %s", p.Nbf.time().UTC().Format(time.RFC3339))
	}
	if p.Iat != nil && now.Add(v.leeway).Before(p.Iat.time()) {
		return nil, reject(ErrIssuedInFuture, "issued at %s", p.Iat.time().UTC().Format(time.RFC3339))
	}
	if p.Iss == nil {
		return nil, reject(ErrIssuer, "iss is missing, want %q", v.issuer)
	}
	if *p.Iss != v.issuer {
		return nil, reject(ErrIssuer, "got %q, want %q", *p.Iss, v.issuer)
	}
	if p.TokenUse == nil {
		return nil, reject(ErrTokenUse, "token_use is missing, want %q", v.tokenUse)
	}
	if TokenUse(*p.TokenUse) != v.tokenUse {
		return nil, reject(ErrTokenUse, "got %q, want %q", *p.TokenUse, v.tokenUse)
	}
	clientID, err := v.checkClient(p)
	if err != nil {
		return nil, err
	}
	if p.Sub == nil || *p.Sub == "" {
		return nil, reject(ErrSubject, "sub is missing or empty")
	}
	c := &Claims{
		Subject:       *p.Sub,
		TokenUse:      v.tokenUse,
		ClientID:      clientID,
		Issuer:        *p.Iss,
		Audience:      p.Aud.values,
		Scopes:        splitScopes(p.Scope),
		Email:         deref(p.Email),
		EmailVerified: bool(p.EmailVerified),
		ExpiresAt:     exp,
		JTI:           deref(p.JTI),
		OriginJTI:     deref(p.OriginJTI),
		EventID:       deref(p.EventID),
		raw:           raw,
	}
	if p.Groups != nil {
		c.Groups = *p.Groups
	}
	if v.tokenUse == AccessToken {
		c.Username = deref(p.Username)
	} else {
		c.Username = deref(p.CognitoUsername)
	}
	if p.Nbf != nil {
		c.NotBefore = p.Nbf.time()
	}
	if p.Iat != nil {
		c.IssuedAt = p.Iat.time()
	}
	if p.AuthTime != nil {
		c.AuthTime = p.AuthTime.time()
	}
	if len(v.groups) > 0 && !anyOf(v.groups, c.Groups) {
		return nil, reject(ErrGroup, "token holds none of the groups %q", v.groups)
	}
	if len(v.scopes) > 0 && !anyOf(v.scopes, c.Scopes) {
		return nil, reject(ErrScope, "token grants none of the scopes %q", v.scopes)
	}
	return c, nil
}

// checkClient checks client_id for access tokens and aud for ID tokens,
// never falling back from one to the other, and returns the client ID.
func (v *Verifier) checkClient(p *payload) (string, error) {
	if v.tokenUse == AccessToken {
		if p.ClientID == nil {
			if v.skipClientID {
				return "", nil
			}
			return "", reject(ErrClient, "client_id is missing")
		}
		if !v.skipClientID && !contains(v.clientIDs, *p.ClientID) {
			return "", reject(ErrClient, "client_id %q is not one of %q", *p.ClientID, v.clientIDs)
		}
		return *p.ClientID, nil
	}
	if !p.Aud.present || len(p.Aud.values) == 0 {
		if v.skipClientID {
			return "", nil
		}
		return "", reject(ErrClient, "aud is missing or empty")
	}
	for _, a := range p.Aud.values {
		if v.skipClientID || contains(v.clientIDs, a) {
			return a, nil
		}
	}
	return "", reject(ErrClient, "aud %q holds none of %q", p.Aud.values, v.clientIDs)
}

func anyOf(want, have []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

func splitScopes(s *string) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, f := range strings.Split(*s, " ") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

var (
	errNumericDate = errors.New("a time claim is not a number of seconds in range")
	errAudience    = errors.New("aud is not a string or an array of strings")
	errBool        = errors.New(`email_verified is not a boolean or "true"/"false"`)
)

// maxNumericDate bounds time claims: about the year 5138. Larger values are
// garbage, and near 2^63 they would wrap in time.Unix.
const maxNumericDate = 1e11

// numericDate is an RFC 7519 NumericDate: a JSON number of seconds, possibly
// fractional (kept to the nanosecond, not truncated).
type numericDate struct{ sec, nsec int64 }

func (d *numericDate) UnmarshalJSON(b []byte) error {
	// Only a JSON number: strings, booleans, objects and arrays are errors.
	// (null never reaches here: it leaves the pointer nil.)
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errNumericDate
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) >= maxNumericDate {
		return errNumericDate
	}
	sec, frac := math.Modf(f)
	d.sec, d.nsec = int64(sec), int64(math.Round(frac*1e9))
	return nil
}

func (d *numericDate) time() time.Time { return time.Unix(d.sec, d.nsec) }

// audience is aud: a string or an array of strings (RFC 7519 §4.1.3).
type audience struct {
	present bool
	values  []string
}

func (a *audience) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	a.present = true
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errAudience
		}
		a.values = []string{s}
	case '[':
		if err := json.Unmarshal(b, &a.values); err != nil {
			return errAudience
		}
	default:
		return errAudience
	}
	return nil
}

// flexBool is email_verified: a JSON boolean, or the strings "true" and
// "false" that Cognito emits for some federated users.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*f = true
	case "false", `"false"`, "null":
		*f = false
	default:
		return errBool
	}
	return nil
}
