package cognito

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// MultiVerifier verifies tokens of several user pools, each with its own
// [Config]: clients, token use, groups, scopes, key cache, refetch window
// and verified-token cache. The token's unverified iss selects the pool
// before any cryptography; a token of any other issuer is rejected with
// ErrIssuer and no network request, so a token can never make the verifier
// fetch keys from a URL of its choosing. It is safe for concurrent use.
type MultiVerifier struct {
	byIssuer  map[string]*Verifier
	verifiers []*Verifier
	maxBytes  int
}

// NewMultiVerifier builds one [Verifier] per configuration. Two
// configurations accepting the same issuer are an error. It does no network
// I/O.
func NewMultiVerifier(cfgs ...Config) (*MultiVerifier, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("cognito: invalid config: NewMultiVerifier needs at least one Config")
	}
	m := &MultiVerifier{byIssuer: map[string]*Verifier{}}
	for i, cfg := range cfgs {
		v, err := NewVerifier(cfg)
		if err != nil {
			return nil, fmt.Errorf("config %d: %w", i, err)
		}
		for _, iss := range v.Issuers() {
			if m.byIssuer[iss] != nil {
				return nil, fmt.Errorf("cognito: invalid config: config %d: issuer %q is already configured", i, iss)
			}
			m.byIssuer[iss] = v
		}
		m.verifiers = append(m.verifiers, v)
		m.maxBytes = max(m.maxBytes, v.maxTokenBytes)
	}
	return m, nil
}

// Verify checks token with the verifier of its issuer; see
// [Verifier.Verify]. Errors are those of Verify, and ErrIssuer for an
// issuer no configuration accepts.
func (m *MultiVerifier) Verify(ctx context.Context, token string) (*Claims, error) {
	iss, err := unverifiedIssuer(token, m.maxBytes)
	if err != nil {
		return nil, err
	}
	v := m.byIssuer[iss]
	if v == nil {
		return nil, reject(ErrIssuer, "iss %q is not a configured user pool", truncate(iss))
	}
	return v.Verify(ctx, token)
}

// Warm warms every pool's verifier; the error joins their failures.
func (m *MultiVerifier) Warm(ctx context.Context) error {
	var errs []error
	for _, v := range m.verifiers {
		if err := v.Warm(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Middleware is [Middleware] with m as the verifier.
func (m *MultiVerifier) Middleware(next http.Handler, opts ...MiddlewareOption) http.Handler {
	return Middleware(m, next, opts...)
}

// unverifiedIssuer returns the iss of a token's payload without verifying
// anything but its form, with the same parser Verify uses.
func unverifiedIssuer(token string, maxBytes int) (string, error) {
	if len(token) > maxBytes {
		return "", reject(ErrTooLarge, "%d bytes, limit %d", len(token), maxBytes)
	}
	h, p, err := split(token)
	if err != nil {
		return "", err
	}
	var buf [2048]byte
	payload, err := decodeInto(buf[:], token[h+1:p])
	if err != nil {
		return "", notBase64(token, "payload")
	}
	// A claim of the wrong type is judged by the pool's verifier, after the
	// signature; only the issuer is needed here.
	var sc scanned
	_, err = scanPayload(payload, &sc)
	if sc.has&cIss == 0 {
		if errors.Is(err, ErrMalformed) {
			return "", err
		}
		return "", reject(ErrIssuer, "iss is missing or not a string")
	}
	return sc.iss, nil
}
