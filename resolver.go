package cognito

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Defaults of a [MultiVerifier]'s resolver cache.
const (
	// DefaultResolvedTTL is how long a resolver's "found" answer is used
	// when MultiConfig.ResolvedTTL is zero.
	DefaultResolvedTTL = 5 * time.Minute
	// DefaultNotFoundTTL is how long a resolver's "not found" answer is
	// used when MultiConfig.NotFoundTTL is zero: a tenant added to the
	// table meanwhile waits at most this long (or until Remove).
	DefaultNotFoundTTL = time.Minute
	// DefaultMaxResolved bounds the resolver's answers kept when
	// MultiConfig.MaxResolved is zero (Cognito allows at most 10,000 user
	// pools per account and Region).
	DefaultMaxResolved = 10_000

	// maxIssuerBytes is the longest issuer handed to a resolver; Cognito's
	// are under 100 bytes.
	maxIssuerBytes = 256
	// resolveTimeout bounds one resolver call.
	resolveTimeout = 10 * time.Second
)

// Resolver returns the configuration of the user pool whose tokens carry
// issuer, for a [MultiVerifier] that meets an issuer no registered pool
// accepts: typically a lookup in the service's tenant table. It answers
//
//   - the pool's Config and found true: the Config is validated as by
//     [NewVerifier] and must accept exactly this issuer (among
//     [Verifier.Issuers]); the pool then serves this issuer only;
//   - found false and a nil error: not a tenant, the token is rejected with
//     [ErrIssuer] (401);
//   - an error: it could not decide (the table is unreachable); the token
//     gets an error wrapping [ErrKeysUnavailable] and the resolver's error
//     (500), never a rejection. An invalid Config, or one for another
//     issuer, is treated the same way, since it is the service's fault and
//     not the token's.
//
// It is called only for an issuer that is an absolute http or https URL of
// at most 256 bytes (anything else is rejected without a call), never for
// a registered one, and at most once at a time per issuer: concurrent
// tokens of one issuer wait for the same call. It runs on a context that
// keeps the first waiting caller's values but not its cancellation, with a
// deadline of 10 seconds; a panic in it is an error.
//
// Answers are cached per issuer: "found" for MultiConfig.ResolvedTTL,
// "not found" for MultiConfig.NotFoundTTL, and an error for one second,
// during which tokens of that issuer get the same error without a call (a
// failing table is asked at most once a second per issuer). After a found
// answer's lifetime the next token of that issuer waits for a new call;
// the keys already fetched carry over when the key URL is unchanged.
// [MultiVerifier.Remove] forgets an answer at once.
//
// The resolver is called for every distinct unknown issuer a token names,
// so it should answer from an index, and refuse quickly what cannot be one
// of the service's tenants. Calls for different issuers run concurrently:
// it must be safe for concurrent use.
type Resolver func(ctx context.Context, issuer string) (cfg Config, found bool, err error)

// errChanged says that a resolver call went stale: the issuer was added,
// replaced or removed while it ran. The caller looks again.
var errChanged = errors.New("cognito: the issuer's registration changed")

// lookup is one resolver call, shared by every token of its issuer that
// arrives while it runs.
type lookup struct {
	done  chan struct{}
	stale bool   // set under mu before done is closed
	r     *route // the answer, once done (unless stale)
}

// find returns the route of a pool that accepts issuer: registered, cached
// from the resolver, or resolved now. Everything here happens before any
// key is fetched.
func (m *MultiVerifier) find(ctx context.Context, issuer string) (*route, error) {
	if r := m.load(issuer); r != nil && m.current(r) {
		return r.answer()
	}
	if m.resolver == nil || len(issuer) > maxIssuerBytes || checkURL(issuer, true) != nil {
		return nil, notConfigured(issuer)
	}
	m.mu.Lock()
	if r := m.load(issuer); r != nil && m.current(r) {
		m.mu.Unlock()
		return r.answer()
	}
	l := m.lookups[issuer]
	if l == nil {
		l = &lookup{done: make(chan struct{})}
		m.lookups[issuer] = l
		go m.resolve(context.WithoutCancel(ctx), issuer, l)
	}
	m.mu.Unlock()
	select {
	case <-l.done:
	case <-ctx.Done():
		return nil, &KeysError{Err: fmt.Errorf("waiting for the resolver: %w", ctx.Err())}
	}
	if l.stale {
		return nil, errChanged
	}
	return l.r.answer()
}

// current reports whether r is still the answer for its issuer.
func (m *MultiVerifier) current(r *route) bool {
	return r.until.IsZero() || m.now().Before(r.until)
}

// answer returns r as the result of find.
func (r *route) answer() (*route, error) {
	switch {
	case r.p != nil:
		return r, nil
	case r.cause != nil:
		return nil, &KeysError{Err: r.cause}
	}
	return nil, notConfigured(r.issuer)
}

func notConfigured(issuer string) error {
	return reject(ErrIssuer, "iss %q is not a configured user pool", truncate(issuer))
}

// staleLookup makes a resolver call running for issuer stale (mu held): its
// answer is not kept, and its waiters look again.
func (m *MultiVerifier) staleLookup(issuer string) {
	if l := m.lookups[issuer]; l != nil {
		l.stale = true
		delete(m.lookups, issuer)
	}
}

// resolve runs one resolver call and stores its answer, unless it went
// stale meanwhile.
func (m *MultiVerifier) resolve(ctx context.Context, issuer string, l *lookup) {
	r := m.ask(ctx, issuer)
	m.mu.Lock()
	defer m.mu.Unlock()
	defer close(l.done)
	if l.stale {
		return // r is dropped: it was never stored, nobody uses it
	}
	delete(m.lookups, issuer)
	l.r = r
	if r.p == nil {
		m.putNegative(r)
		return
	}
	m.put(r)
	if victim := m.resolved.add(r); victim != nil {
		for _, vr := range victim.p.routes {
			m.routes.Delete(vr.issuer)
		}
		m.retire(victim.p)
	}
}

// ask calls the resolver and turns its answer into a route.
func (m *MultiVerifier) ask(ctx context.Context, issuer string) *route {
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	cfg, found, err := m.callResolver(ctx, issuer)
	if err != nil {
		return &route{issuer: issuer, until: m.now().Add(failureBackoff), cause: fmt.Errorf("resolving the pool of issuer %q: %w", truncate(issuer), err)}
	}
	if !found {
		return &route{issuer: issuer, until: m.now().Add(m.notFoundTTL)}
	}
	p, err := m.newPool(cfg)
	if err == nil && !slices.Contains(p.v.Issuers(), issuer) {
		err = fmt.Errorf("it accepts %q, not this issuer", p.v.Issuers())
	}
	if err != nil {
		return &route{issuer: issuer, until: m.now().Add(failureBackoff), cause: fmt.Errorf("the resolver's Config for issuer %q: %w", truncate(issuer), err)}
	}
	return m.newRoute(p, issuer, m.now().Add(m.resolvedTTL))
}

// callResolver calls the resolver, turning a panic into an error: it runs
// on a goroutine of its own, where a panic would end the process.
func (m *MultiVerifier) callResolver(ctx context.Context, issuer string) (cfg Config, found bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the resolver panicked: %v", p)
		}
	}()
	return m.resolver(ctx, issuer)
}

// putNegative stores a negative answer (mu held), in place of a resolved
// pool whose answer was due, and keeps at most MaxResolved of them: the
// oldest goes first.
func (m *MultiVerifier) putNegative(r *route) {
	if old := m.load(r.issuer); old != nil && old.p != nil {
		m.resolved.remove(old)
		m.retire(old.p)
	}
	m.routes.Store(r.issuer, r)
	if len(m.notFound) < m.resolved.max {
		m.notFound = append(m.notFound, r.issuer)
		return
	}
	oldest := m.notFound[m.nfNext]
	if v := m.load(oldest); v != nil && v.p == nil && v != r {
		m.routes.Delete(oldest)
	}
	m.notFound[m.nfNext] = r.issuer
	m.nfNext = (m.nfNext + 1) % len(m.notFound)
}
