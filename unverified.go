package cognito

import (
	"slices"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4/json"
)

// This file is the unverified peek: a token's header and claims read with
// Verify's own parsers, before and without any verification.

// UnverifiedToken is a token's header and claims as [ParseUnverified] read
// them. Nothing in it is verified: anyone can write a token with any header
// and any claims, sign it with any key or none, and it parses. It is for
// routing a token to the verifier that will judge it and for debugging,
// never for a decision; only the [*Claims] returned by [Verifier.Verify]
// are. It is not a [*Claims] and nothing converts it into one, so no
// middleware or authorizer of this package accepts it. An UnverifiedToken
// is immutable and safe for concurrent use.
type UnverifiedToken struct {
	size      int
	header    string
	headerErr error   // what Verify says about the header, or nil
	payload   string  // the claims JSON
	sc        scanned // the claims as Verify's scanner read them
}

// UnverifiedClaims are the typed claims of an [UnverifiedToken], as the
// token states them: none is checked. They are a copy, shared with nothing.
// A claim that is absent, null or of the wrong JSON type is the zero value.
type UnverifiedClaims struct {
	Issuer   string   // iss
	Subject  string   // sub
	TokenUse TokenUse // token_use, whatever it says
	ClientID string   // client_id (access tokens)
	Audience []string // aud (ID tokens): a string or an array
	Username string   // username, or cognito:username when username is absent (ID tokens)
	Groups   []string // cognito:groups
	Scope    string   // scope as sent: space-separated (access tokens)

	AuthTime  time.Time // auth_time
	IssuedAt  time.Time // iat
	ExpiresAt time.Time // exp
	NotBefore time.Time // nbf
}

// ParseUnverified decodes token without verifying anything: not the
// signature, the issuer, the expiry, nor any other rule. Use it to pick the
// verifier of a token's pool, or to see why a token is refused (the
// cognito-token command does), never to decide whom a request comes from.
//
// It reads the token with the parsers Verify uses and fails, with the error
// Verify gives for the same defect, when the token cannot be read: longer
// than [DefaultMaxTokenBytes], not three segments of strict base64url, a
// header or a payload that is not a JSON object (invalid UTF-8, a syntax
// error, a duplicate name). A token that breaks a rule (alg none, an
// unknown header parameter, a claim of the wrong type, an expired token)
// parses: [Verifier.CheckUnverified] reports those.
func ParseUnverified(token string) (*UnverifiedToken, error) {
	if len(token) > DefaultMaxTokenBytes {
		return nil, reject(ErrTooLarge, "%d bytes, limit %d", len(token), DefaultMaxTokenBytes)
	}
	h, p, err := split(token)
	if err != nil {
		return nil, err
	}
	header, err := decodeInto(nil, token[:h])
	if err != nil {
		return nil, notBase64(token, "header")
	}
	_, headerErr := parseHeader(header)
	var members map[string]json.RawMessage
	if !utf8.Valid(header) || json.Unmarshal(header, &members) != nil || members == nil {
		// Not a JSON object at all, which parseHeader has said in
		// Verify's words.
		if headerErr == nil {
			headerErr = reject(ErrMalformed, "header is not a JSON object")
		}
		return nil, headerErr
	}
	payload, err := decodeInto(nil, token[h+1:p])
	if err != nil {
		return nil, notBase64(token, "payload")
	}
	if _, err := decodeInto(nil, token[p+1:]); err != nil {
		return nil, notBase64(token, "signature")
	}
	t := &UnverifiedToken{size: len(token), header: string(header), headerErr: headerErr}
	// A claim of the wrong type is a rule, reported by CheckUnverified;
	// anything else the scanner refuses makes the payload unreadable.
	if _, err := scanPayload(payload, &t.sc); err != nil && err != t.sc.typeErr {
		return nil, err
	}
	t.payload = string(payload)
	return t, nil
}

// UnverifiedHeader returns a copy of the token's header JSON, as sent.
func (t *UnverifiedToken) UnverifiedHeader() []byte { return []byte(t.header) }

// UnverifiedPayload returns a copy of the token's claims JSON, as sent,
// with every claim including custom:* attributes.
func (t *UnverifiedToken) UnverifiedPayload() []byte { return []byte(t.payload) }

// UnverifiedClaims returns the token's typed claims, unchecked.
func (t *UnverifiedToken) UnverifiedClaims() UnverifiedClaims {
	sc := &t.sc
	u := UnverifiedClaims{
		Issuer:   sc.iss,
		Subject:  sc.sub,
		TokenUse: TokenUse(sc.tokenUse),
		ClientID: sc.clientID,
		Username: sc.username,
		Scope:    sc.scope,
	}
	if sc.has&cUsername == 0 {
		u.Username = sc.cognitoUsername
	}
	if sc.has&cAud != 0 {
		u.Audience = slices.Clone(sc.arena[sc.audFrom:sc.audTo])
	}
	if sc.has&cGroups != 0 {
		u.Groups = slices.Clone(sc.arena[sc.groupsFrom:sc.groupsTo])
	}
	if sc.has&cAuthTime != 0 {
		u.AuthTime = sc.authTime.time()
	}
	if sc.has&cIat != 0 {
		u.IssuedAt = sc.iat.time()
	}
	if sc.has&cExp != 0 {
		u.ExpiresAt = sc.exp.time()
	}
	if sc.has&cNbf != 0 {
		u.NotBefore = sc.nbf.time()
	}
	return u
}

// CheckUnverified runs on t every check of [Verifier.Verify] that needs no
// key, with v's configuration and clock, and returns every failure in
// Verify's order, each the error Verify would give if it were the only one
// (wrapping [ErrInvalidToken] and a reason such as [ErrExpired]): the size
// limit, the header, the claims' types, then the claim rules (the time
// window, issuer, token_use, client, sub, groups, scopes). A token with a
// claim of the wrong type gets that one failure for its claims: Verify
// judges no rule on claims it cannot read. The time window is one check
// (exp, then nbf, then iat): exp failing with another means the window is
// empty, and nbf and iat both in the future mean the same clock problem.
//
// It never fetches keys and never checks the signature, so an empty result
// does not mean the token is valid: a forged token passes every check here.
// Use it to explain a refusal, as the cognito-token command does; only
// [Verifier.Verify] decides. A nil t gets one ErrMalformed failure.
func (v *Verifier) CheckUnverified(t *UnverifiedToken) []error {
	if t == nil {
		return []error{reject(ErrMalformed, "no token: ParseUnverified failed")}
	}
	var errs []error
	if t.size > v.maxTokenBytes {
		errs = append(errs, reject(ErrTooLarge, "%d bytes, limit %d", t.size, v.maxTokenBytes))
	}
	if t.headerErr != nil {
		errs = append(errs, cloneError(t.headerErr))
	}
	issuer := v.issuer
	if v.issuers != nil && t.sc.has&cIss != 0 {
		// As in Verify, the token's iss picks among the issuers accepted;
		// one not accepted fails here, and the iss rule then passes.
		if v.issuers[t.sc.iss] == nil {
			errs = append(errs, reject(ErrIssuer, "iss %q is not one of %q", truncate(t.sc.iss), v.Issuers()))
		}
		issuer = t.sc.iss
	}
	if t.sc.typeErr != nil {
		return append(errs, cloneError(t.sc.typeErr))
	}
	// The rules append scopes to the arena: they get their own.
	sc := t.sc
	sc.arena = slices.Clone(t.sc.arena)
	v.applyClaimRules(&sc, new(Claims), issuer, v.now(), &errs)
	return errs
}

// cloneError returns a copy of a stored *TokenError, so that a caller
// changing the one it got changes no later answer.
func cloneError(err error) error {
	if te, ok := err.(*TokenError); ok {
		c := *te
		return &c
	}
	return err
}
