package cognito

import (
	"errors"
	"fmt"
)

// The two error families. Every error returned by [Verifier.Verify] wraps
// exactly one of them, so a caller decides between "reject the caller" (401,
// Deny) and "we could not decide" (5xx) with a single [errors.Is]:
//
//	claims, err := v.Verify(ctx, token)
//	switch {
//	case errors.Is(err, cognito.ErrInvalidToken):   // 401: the token was rejected
//	case err != nil:                                // 5xx: keys unavailable, context cancelled, …
//	}
var (
	// ErrInvalidToken is wrapped by every rejection of a token. Such an error
	// also wraps one of the specific sentinels below.
	ErrInvalidToken = errors.New("cognito: invalid token")

	// ErrKeysUnavailable is wrapped when the verifier could not obtain a usable
	// key set (network failure, non-200 answer, invalid JWKS). It never wraps
	// ErrInvalidToken: the token may well be valid.
	ErrKeysUnavailable = errors.New("cognito: signing keys unavailable")
)

// Specific reasons a token was rejected. Each error wrapping one of these also
// wraps [ErrInvalidToken].
var (
	ErrMalformed      = errors.New("malformed token")              // not a compact JWS of three base64url segments with JSON objects
	ErrTooLarge       = errors.New("token too large")              // longer than Config.MaxTokenBytes
	ErrHeader         = errors.New("unsupported header parameter") // jwk, jku, x5u, x5c, crit, b64, cty, zip, unknown names
	ErrAlgorithm      = errors.New("unsupported algorithm")        // alg other than exactly RS256
	ErrKeyNotFound    = errors.New("signing key not found")        // kid missing or not in the pool's key set
	ErrSignature      = errors.New("invalid signature")            // the RS256 signature does not verify
	ErrExpired        = errors.New("token is expired")             // now is not before exp (+ leeway)
	ErrNotYetValid    = errors.New("token is not valid yet")       // nbf is in the future
	ErrIssuedInFuture = errors.New("token used before issued")     // iat is in the future
	ErrIssuer         = errors.New("issuer mismatch")              // iss is not the configured pool
	ErrTokenUse       = errors.New("token_use mismatch")           // access token where an ID token is expected, or the reverse
	ErrClient         = errors.New("client mismatch")              // client_id (access) or aud (ID) not configured
	ErrSigner         = errors.New("signer mismatch")              // an ALB token's signer is not a configured load balancer
	ErrGroup          = errors.New("required group missing")       // none of Config.Groups in cognito:groups
	ErrScope          = errors.New("required scope missing")       // none of Config.Scopes in scope
	ErrSubject        = errors.New("subject missing")              // sub absent or empty
	ErrClaim          = errors.New("missing or malformed claim")   // a claim is absent when required or has the wrong JSON type

	// Rejections of the rules a service adds (see the Config field each
	// names). They wrap ErrInvalidToken like every rejection.
	ErrResource  = errors.New("resource mismatch")                 // an access token's aud holds none of Config.Resources
	ErrPrincipal = errors.New("principal mismatch")                // a machine token where Config.Principal wants users, or the reverse
	ErrAuthAge   = errors.New("authentication too old")            // auth_time missing, or older than Config.MaxAuthAge
	ErrACR       = errors.New("authentication level not accepted") // acr missing, or not one of Config.ACRValues
	ErrClaimRule = errors.New("claim rule not met")                // a claim fails one of Config.ClaimRules
	ErrCheck     = errors.New("claims check failed")               // Config.Check returned an error (reachable with errors.Is/As)
)

// TokenError is the error returned when a token is rejected. Reason is one of
// the specific sentinels ([ErrExpired], [ErrIssuer], …); Detail explains it
// and never contains the token itself.
//
// errors.Is(err, ErrInvalidToken) and errors.Is(err, err.Reason) both hold.
// For [ErrCheck], the error Config.Check returned is reachable from the
// returned error too.
type TokenError struct {
	Reason error
	Detail string
}

func (e *TokenError) Error() string {
	if e.Detail == "" {
		return "cognito: invalid token: " + e.Reason.Error()
	}
	return "cognito: invalid token: " + e.Reason.Error() + ": " + e.Detail
}

// Unwrap returns ErrInvalidToken and the reason, for [errors.Is].
func (e *TokenError) Unwrap() []error { return []error{ErrInvalidToken, e.Reason} }

// checkError is the rejection by Config.Check: a TokenError (ErrCheck)
// with the check's own error in its chain, kept out of TokenError so that
// every other rejection stays as small as before.
type checkError struct {
	TokenError
	cause error
}

func (e *checkError) Unwrap() []error { return []error{&e.TokenError, e.cause} }

func reject(reason error, format string, args ...any) error {
	if len(args) == 0 {
		return &TokenError{Reason: reason, Detail: format}
	}
	return &TokenError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// KeysError is the error returned when the verifier could not get usable keys.
// It wraps [ErrKeysUnavailable] and the underlying cause (a network error, an
// HTTP status, a JWKS parse error).
type KeysError struct {
	URL string // the JWKS URL, or "" for a key set given in Config.JWKS
	Err error
}

func (e *KeysError) Error() string {
	if e.URL == "" {
		return "cognito: signing keys unavailable: " + e.Err.Error()
	}
	return "cognito: signing keys unavailable from " + e.URL + ": " + e.Err.Error()
}

// Unwrap returns ErrKeysUnavailable and the cause.
func (e *KeysError) Unwrap() []error { return []error{ErrKeysUnavailable, e.Err} }
