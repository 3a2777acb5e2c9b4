package cognito

import (
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/json"
)

// TokenUse is the kind of Cognito token, from its token_use claim.
type TokenUse string

// The two Cognito token kinds, and Config.TokenUse for both.
const (
	AccessToken TokenUse = "access"
	IDToken     TokenUse = "id"
	// AnyTokenUse, as Config.TokenUse, accepts access and ID tokens, each
	// matched on its own client claim (client_id, aud) and reported in
	// Claims.TokenUse. It is never a token's token_use.
	AnyTokenUse TokenUse = "any"
)

// Claims are the verified claims of a Cognito access or ID token. A Claims
// value is returned only when every check passed. Each call of Verify
// returns a Claims of its own, sharing no writable memory with any other:
// a caller may modify it, and no later decision (a verified-token cache
// hit, a middleware rule) reads it. It is safe for concurrent reads.
//
// Its strings are substrings of one copy of the token's payload: keeping
// any of them keeps the whole payload (1–2 KiB) alive. Clone what you keep
// long-term, such as a map key: strings.Clone(claims.Subject).
type Claims struct {
	Subject  string   // sub: the user's stable ID (a UUID), or the app client's ID in a machine token; never empty
	Username string   // username (access) or cognito:username (ID); empty for machine tokens
	TokenUse TokenUse // token_use: "access" or "id"
	ClientID string   // client_id (access) or the matching aud (ID)
	Issuer   string   // iss
	Audience []string // aud: the app client (ID tokens), the resource identifiers of a resource-bound access token
	Groups   []string // cognito:groups
	Scopes   []string // scope, split on spaces (access tokens)

	ACR string   // acr: the authentication level reached, such as "urn:cognito:loa:2"; empty when absent
	AMR []string // amr: the authentication methods used, such as ["pwd","otp","mfa"]

	Email         string // email (ID tokens)
	EmailVerified bool   // email_verified (ID tokens)

	AuthTime  time.Time // auth_time; zero when absent
	IssuedAt  time.Time // iat; zero when absent
	ExpiresAt time.Time // exp; always set
	NotBefore time.Time // nbf; zero when absent

	JTI       string // jti
	OriginJTI string // origin_jti
	EventID   string // event_id

	raw   string    // the payload JSON
	store [8]string // backing store of Audience, Groups, Scopes and AMR when they fit
}

// clone returns a copy of c that shares no writable memory with it.
func (c *Claims) clone() *Claims {
	out := new(Claims)
	c.copyTo(out)
	return out
}

// copyTo makes out a copy of c that shares no writable memory with it: the
// lists are copied into out's own store (past 8 entries in all, into one
// new array). Strings are immutable and stay shared.
func (c *Claims) copyTo(out *Claims) {
	*out = *c
	arena := out.store[:0]
	if n := len(c.Audience) + len(c.Groups) + len(c.Scopes) + len(c.AMR); n > len(out.store) {
		arena = make([]string, 0, n)
	}
	out.Audience, arena = appendList(arena, c.Audience)
	out.Groups, arena = appendList(arena, c.Groups)
	out.Scopes, arena = appendList(arena, c.Scopes)
	out.AMR, _ = appendList(arena, c.AMR)
}

// appendList appends list to arena and returns its copy there, capped so
// that appending to it cannot write over the next list; nil stays nil.
func appendList(arena, list []string) (copied, rest []string) {
	if list == nil {
		return nil, arena
	}
	from := len(arena)
	arena = append(arena, list...)
	return arena[from:len(arena):len(arena)], arena
}

// HasGroup reports whether the token lists group in cognito:groups. The
// comparison is exact.
func (c *Claims) HasGroup(group string) bool { return slices.Contains(c.Groups, group) }

// HasScope reports whether the token grants scope. The comparison is exact.
func (c *Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// IsMachine reports whether the token is a machine-to-machine token: one
// Cognito issued to an app client itself (the client credentials grant or
// GetClientToken, which "authorize an application rather than a user"),
// not to a user. It is exactly: an access token whose sub equals its
// client_id (non-empty) and that has no username. That is the shape of
// these tokens in Cognito's access-token documentation (sub and client_id
// equal, no username, no cognito:groups, only resource-server scopes); a
// user's sub is a UUID, never an app client ID.
func (c *Claims) IsMachine() bool {
	return c.TokenUse == AccessToken && c.ClientID != "" && c.Subject == c.ClientID && c.Username == ""
}

// Raw returns a copy of the token's payload JSON, with every claim including
// custom:* attributes.
func (c *Claims) Raw() []byte { return []byte(c.raw) }

// Decode decodes the token's payload JSON into v, for claims the typed
// fields do not carry. Member names match case-sensitively, as in [Verifier.Verify].
//
//	var attrs struct {
//		Tenant string `json:"custom:tenant"`
//	}
//	err := claims.Decode(&attrs)
func (c *Claims) Decode(v any) error { return json.Unmarshal([]byte(c.raw), v) }

// StringClaim returns the string claim name (for example "custom:tenant") and
// whether the token holds it as a JSON string.
func (c *Claims) StringClaim(name string) (string, bool) {
	var m map[string]any
	if json.Unmarshal([]byte(c.raw), &m) != nil {
		return "", false
	}
	s, ok := m[name].(string)
	return s, ok
}

// checkClaims applies the configured rules to the scanned payload (the
// signature is already verified), fills c and returns the first failure.
func (v *Verifier) checkClaims(sc *scanned, c *Claims, issuer string, now time.Time) error {
	return v.applyClaimRules(sc, c, issuer, now, nil)
}

// applyClaimRules is checkClaims. With all non-nil it does not stop at a
// failure: it appends each one to *all and goes on, so that
// [Verifier.CheckUnverified] reports every rule a token breaks, in the
// words Verify uses. A rule added here is reported by both.
func (v *Verifier) applyClaimRules(sc *scanned, c *Claims, issuer string, now time.Time, all *[]error) (first error) {
	// fail records a failure and reports whether checking stops there.
	fail := func(err error) bool {
		if all == nil {
			first = err
			return true
		}
		*all = append(*all, err)
		return false
	}
	if sc.has&cExp == 0 {
		// Cognito always sets exp; a token without one never expires.
		if fail(reject(ErrClaim, "exp is missing")) {
			return
		}
	} else {
		c.ExpiresAt = sc.exp.time()
		if sc.has&cNbf != 0 {
			c.NotBefore = sc.nbf.time()
		}
		if sc.has&cIat != 0 {
			c.IssuedAt = sc.iat.time()
		}
		if err := v.checkTimes(c, now); err != nil && fail(err) {
			return
		}
	}
	switch {
	case sc.has&cIss == 0:
		if fail(reject(ErrIssuer, "iss is missing, want %q", issuer)) {
			return
		}
	case sc.iss != issuer:
		if fail(reject(ErrIssuer, "got %q, want %q", sc.iss, issuer)) {
			return
		}
	}
	use := TokenUse(sc.tokenUse)
	if sc.has&cTokenUse == 0 || !v.accepts(use) {
		want := string(v.tokenUse)
		if v.tokenUse == AnyTokenUse {
			want = `"access" or "id"`
		} else {
			want = `"` + want + `"`
		}
		err := reject(ErrTokenUse, "got %q, want %s", sc.tokenUse, want)
		if sc.has&cTokenUse == 0 {
			err = reject(ErrTokenUse, "token_use is missing, want %s", want)
		}
		if fail(err) {
			return
		}
	}
	// The client rule is the token kind's own; with a kind this verifier
	// does not take (reported above, when collecting every failure), the
	// configured kind's, if there is one.
	clientUse := use
	if !v.accepts(use) {
		clientUse = v.tokenUse
	}
	var clientID string
	if clientUse != AnyTokenUse {
		var err error
		if clientID, err = v.checkClient(sc, clientUse); err != nil && fail(err) {
			return
		}
	}
	if sc.sub == "" && fail(reject(ErrSubject, "sub is missing or empty")) {
		return
	}

	c.Subject = sc.sub
	c.TokenUse = use
	c.ClientID = clientID
	c.Issuer = sc.iss
	c.Email = sc.email
	c.EmailVerified = sc.emailVerified
	c.JTI, c.OriginJTI, c.EventID = sc.jti, sc.originJTI, sc.eventID
	c.ACR = sc.acr
	if use == AccessToken {
		c.Username = sc.username
	} else {
		c.Username = sc.cognitoUsername
	}
	if sc.has&cAuthTime != 0 {
		c.AuthTime = sc.authTime.time()
	}
	// Scopes split on spaces into the same arena; then the lists are cut
	// with full slice expressions so that appending to one cannot write
	// over another.
	scopesFrom := len(sc.arena)
	if sc.has&cScope != 0 {
		for rest := sc.scope; rest != ""; {
			var f string
			f, rest, _ = strings.Cut(rest, " ")
			if f != "" {
				sc.arena = append(sc.arena, f)
			}
		}
	}
	if sc.has&cGroups != 0 {
		c.Groups = sc.arena[sc.groupsFrom:sc.groupsTo:sc.groupsTo]
	}
	if sc.has&cAud != 0 {
		c.Audience = sc.arena[sc.audFrom:sc.audTo:sc.audTo]
	}
	if sc.has&cScope != 0 && len(sc.arena) > scopesFrom {
		c.Scopes = sc.arena[scopesFrom:len(sc.arena):len(sc.arena)]
	}
	if sc.has&cAMR != 0 {
		c.AMR = sc.arena[sc.amrFrom:sc.amrTo:sc.amrTo]
	}
	if len(v.groups) > 0 && !anyOf(v.groups, c.Groups) && fail(reject(ErrGroup, "token holds none of the groups %q", v.groups)) {
		return
	}
	if len(v.scopes) > 0 && !anyOf(v.scopes, c.Scopes) && fail(reject(ErrScope, "token grants none of the scopes %q", v.scopes)) {
		return
	}
	if err := v.checkRules(c, now); err != nil && fail(err) {
		return
	}
	return
}

// checkTimes checks exp, nbf and iat (zero: absent) against now, on every
// verification and every cache hit: exp with Leeway, nbf and iat with the
// larger of Leeway and ClockSkew (a token from a few seconds in the future
// is a clock difference, not an attack).
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	// RFC 7519 §4.1.4: the current time MUST be before exp.
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return reject(ErrExpired, "expired at %s", c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if !c.NotBefore.IsZero() && now.Add(v.skew).Before(c.NotBefore) {
		return reject(ErrNotYetValid, "not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	}
	if !c.IssuedAt.IsZero() && now.Add(v.skew).Before(c.IssuedAt) {
		return reject(ErrIssuedInFuture, "issued at %s", c.IssuedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// accepts reports whether the verifier accepts tokens of kind use.
func (v *Verifier) accepts(use TokenUse) bool {
	switch use {
	case AccessToken, IDToken:
		return v.tokenUse == use || v.tokenUse == AnyTokenUse
	}
	return false
}

// checkClient checks client_id for access tokens and aud for ID tokens,
// never falling back from one to the other, and returns the client ID.
// An access token's aud is its resource binding, checked against
// Resources when set.
func (v *Verifier) checkClient(sc *scanned, use TokenUse) (string, error) {
	if use == AccessToken {
		var id string
		switch {
		case sc.has&cClientID != 0:
			if !v.skipClientID && !slices.Contains(v.clientIDs, sc.clientID) {
				return "", reject(ErrClient, "client_id %q is not one of %q", sc.clientID, v.clientIDs)
			}
			id = sc.clientID
		case !v.skipClientID:
			return "", reject(ErrClient, "client_id is missing")
		}
		if len(v.resources) > 0 {
			return id, v.checkResource(sc)
		}
		return id, nil
	}
	aud := sc.arena[sc.audFrom:sc.audTo]
	if sc.has&cAud == 0 || len(aud) == 0 {
		if v.skipClientID {
			return "", nil
		}
		return "", reject(ErrClient, "aud is missing or empty")
	}
	for _, a := range aud {
		if v.skipClientID || slices.Contains(v.clientIDs, a) {
			return a, nil
		}
	}
	return "", reject(ErrClient, "aud %q holds none of %q", aud, v.clientIDs)
}

// anyOf reports whether have holds at least one of want.
func anyOf(want, have []string) bool {
	return slices.ContainsFunc(want, func(w string) bool { return slices.Contains(have, w) })
}

func (d numericDate) time() time.Time { return time.Unix(d.sec, d.nsec) }
