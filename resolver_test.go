package cognito_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tenantTable is a resolver over a table of pools of f, by issuer; it
// counts its calls and can fail, panic or hold them.
type tenantTable struct {
	f *fakeCognito

	mu      sync.Mutex
	tenants map[string]cognito.Config
	calls   map[string]int
	err     error
	panics  bool
	hold    chan struct{}
	arrived chan string
}

func newTenantTable(f *fakeCognito, poolIDs ...string) *tenantTable {
	tt := &tenantTable{f: f, tenants: map[string]cognito.Config{}, calls: map[string]int{}, arrived: make(chan string, 100)}
	for _, id := range poolIDs {
		tt.set(id, f.config(id))
	}
	return tt
}

func (tt *tenantTable) set(poolID string, cfg cognito.Config) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	tt.tenants[issuerOf(poolID)] = cfg
}

func (tt *tenantTable) delete(poolID string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	delete(tt.tenants, issuerOf(poolID))
}

func (tt *tenantTable) count(issuer string) int {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.calls[issuer]
}

// resolve reads the table, then (while held) waits before it answers, as
// a slow database round trip would: a held answer may be out of date.
func (tt *tenantTable) resolve(ctx context.Context, issuer string) (cognito.Config, bool, error) {
	tt.mu.Lock()
	tt.calls[issuer]++
	hold, panics, err := tt.hold, tt.panics, tt.err
	cfg, ok := tt.tenants[issuer]
	tt.mu.Unlock()
	if hold != nil {
		tt.arrived <- issuer
		select {
		case <-hold:
		case <-ctx.Done():
			return cognito.Config{}, false, ctx.Err()
		}
	}
	if panics {
		panic("the table is on fire")
	}
	if err != nil {
		return cognito.Config{}, false, err
	}
	return cfg, ok, nil
}

// holdCalls makes resolver calls wait, after reading the table, until
// release is called.
func (tt *tenantTable) holdCalls() (release func()) {
	ch := make(chan struct{})
	tt.mu.Lock()
	tt.hold = ch
	tt.mu.Unlock()
	return func() {
		tt.mu.Lock()
		tt.hold = nil
		tt.mu.Unlock()
		close(ch)
	}
}

func newResolving(t testing.TB, tt *tenantTable, edit ...func(*cognito.MultiConfig)) *cognito.MultiVerifier {
	return newMulti(t, tt.f, append([]func(*cognito.MultiConfig){func(mc *cognito.MultiConfig) { mc.Resolver = tt.resolve }}, edit...)...)
}

// The resolver contract: found verifies with the pool's own rules, not found
// is ErrIssuer (M-01), a failure or a Config that does not fit is "could not
// decide" (M-02), and nothing but a found pool ever causes a key request.
func TestResolver(t *testing.T) {
	f := newFakeCognito(t)
	acme, globex := "us-east-1_Acme", "us-east-1_Globex"
	dbDown := errors.New("table unreachable")
	for _, tc := range []struct {
		name    string
		table   func(*tenantTable)
		token   string
		reject  error  // the token is rejected for this reason
		unsure  string // the verifier could not decide, with this in the error
		calls   int    // resolver calls for the token's issuer
		fetches int    // key-set requests, all pools together
	}{
		{name: "tenant", token: f.token(acme, "ann"), calls: 1, fetches: 1},
		{name: "tenant's rules", token: f.token(acme, "ann", "client_id", "client-"+globex), reject: cognito.ErrClient, calls: 1, fetches: 1},
		{name: "not a tenant", token: f.token("us-east-1_Stranger", "x"), reject: cognito.ErrIssuer, calls: 1},
		{name: "metadata URL", token: f.token(acme, "x", "iss", "http://169.254.169.254/latest/meta-data"), reject: cognito.ErrIssuer, calls: 1},
		{name: "not a URL", token: f.token(acme, "x", "iss", "acme"), reject: cognito.ErrIssuer},
		{name: "URL with a query", token: f.token(acme, "x", "iss", issuerOf(acme)+"?x=1"), reject: cognito.ErrIssuer},
		{name: "over 256 bytes", token: f.token(acme, "x", "iss", issuerOf(strings.Repeat("a", 250))), reject: cognito.ErrIssuer},
		{name: "no iss", token: f.token(acme, "x", "iss", nil), reject: cognito.ErrIssuer},
		// M-04: the resolved pool's key set holds only its own kid.
		{name: "another tenant's key", token: f.tokenWithKid(acme, globex), reject: cognito.ErrKeyNotFound, calls: 1, fetches: 1},
		{name: "table down", table: func(tt *tenantTable) { tt.err = dbDown }, token: f.token(acme, "ann"), unsure: "table unreachable", calls: 1},
		{name: "resolver panics", table: func(tt *tenantTable) { tt.panics = true }, token: f.token(acme, "ann"), unsure: "panicked", calls: 1},
		{name: "Config of another issuer", table: func(tt *tenantTable) { tt.set(acme, f.config(globex)) },
			token: f.token(acme, "ann"), unsure: "not this issuer", calls: 1},
		{name: "invalid Config", table: func(tt *tenantTable) { tt.set(acme, cognito.Config{UserPoolID: acme}) },
			token: f.token(acme, "ann"), unsure: "TokenUse is required", calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tt := newTenantTable(f, acme, globex)
			if tc.table != nil {
				tc.table(tt)
			}
			m := newResolving(t, tt)
			before := f.total()
			iss := issuerOf(acme)
			if tok, err := unverifiedIss(tc.token); err == nil {
				iss = tok
			}
			c, err := m.Verify(ctx, tc.token)
			switch {
			case tc.unsure != "":
				requireUnavailable(t, c, err)
				assert.ErrorContains(t, err, tc.unsure)
				if tc.name == "table down" {
					assert.ErrorIs(t, err, dbDown)
				}
			case tc.reject != nil:
				requireRejected(t, tc.reject, c, err)
			default:
				require.NoError(t, err)
				assert.Equal(t, iss, c.Issuer)
			}
			assert.Equal(t, tc.calls, tt.count(iss), "resolver calls")
			assert.Equal(t, tc.fetches, f.total()-before, "key-set requests")
		})
	}
}

// tokenWithKid is a token of poolID signed under the kid of kidOf's pool.
func (f *fakeCognito) tokenWithKid(poolID, kidOf string) string {
	good := f.token(poolID, "ann")
	_, rest, _ := strings.Cut(good, ".")
	return enc(string(f.header(kidOf))) + "." + rest
}

// unverifiedIss reads a token's iss for the test's bookkeeping.
func unverifiedIss(token string) (string, error) {
	var p struct {
		Iss string `json:"iss"`
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &p) != nil || p.Iss == "" {
		return "", errors.New("no iss")
	}
	return p.Iss, nil
}

// A registered pool wins over the resolver, which is never asked for it.
func TestResolverNotAskedForRegistered(t *testing.T) {
	f := newFakeCognito(t)
	acme := "us-east-1_Acme"
	tt := newTenantTable(f)
	m := newResolving(t, tt, func(mc *cognito.MultiConfig) { mc.Pools = []cognito.Config{f.config(acme)} })
	for range 3 {
		_, err := m.Verify(ctx, f.token(acme, "ann"))
		require.NoError(t, err)
	}
	assert.Zero(t, tt.count(issuerOf(acme)))
}

// Answers are kept for their lifetimes, then asked again; Remove forgets
// one at once. A failing table is asked at most once a second per issuer
// (M-02: bounded retry).
func TestResolverLifetimes(t *testing.T) {
	f := newFakeCognito(t)
	acme, newco := "us-east-1_Acme", "us-east-1_Newco"
	clk := &movingClock{now: fixedNow}
	tt := newTenantTable(f, acme)
	m := newResolving(t, tt, func(mc *cognito.MultiConfig) {
		mc.Now = clk.Now
		mc.ResolvedTTL = 10 * time.Minute
		mc.NotFoundTTL = time.Minute
	})
	verify := func(poolID string) error {
		_, err := m.Verify(ctx, f.token(poolID, "ann"))
		return err
	}

	// Found: one call, one fetch, whatever the traffic, until the answer
	// is due; then one call again, and the keys carry over.
	for range 3 {
		require.NoError(t, verify(acme))
	}
	clk.Add(10*time.Minute - time.Second)
	require.NoError(t, verify(acme))
	assert.Equal(t, 1, tt.count(issuerOf(acme)))
	assert.Equal(t, uint64(2), cognito.MultiCacheHits(m))
	clk.Add(time.Second)
	require.NoError(t, verify(acme))
	assert.Equal(t, 2, tt.count(issuerOf(acme)), "due: asked again, even for a cached token")
	assert.Equal(t, 1, f.count(acme), "the keys carried over")

	// The tenant leaves the table: its tokens verify until the answer is
	// due, or until Remove.
	tt.delete(acme)
	require.NoError(t, verify(acme))
	assert.False(t, m.Remove(issuerOf("us-east-1_Unknown")))
	assert.True(t, m.Remove(issuerOf(acme)))
	requireRejected(t, cognito.ErrIssuer, nil, verify(acme))
	assert.Equal(t, 3, tt.count(issuerOf(acme)))

	// Not found: kept for NotFoundTTL, so a tenant added meanwhile waits,
	// unless Remove forgets the answer.
	tt.set(acme, f.config(acme))
	requireRejected(t, cognito.ErrIssuer, nil, verify(acme))
	assert.False(t, m.Remove(issuerOf(acme)), "forgets the not-found answer")
	require.NoError(t, verify(acme))
	requireRejected(t, cognito.ErrIssuer, nil, verify(newco))
	tt.set(newco, f.config(newco))
	requireRejected(t, cognito.ErrIssuer, nil, verify(newco))
	assert.Equal(t, 1, tt.count(issuerOf(newco)))
	clk.Add(time.Minute)
	require.NoError(t, verify(newco))
	assert.Equal(t, 2, tt.count(issuerOf(newco)))

	// Failing: every token gets the error, and the table is asked again
	// only after a second.
	tt.mu.Lock()
	tt.err = errors.New("table unreachable")
	tt.mu.Unlock()
	failing := "us-east-1_Failing"
	for range 5 {
		err := verify(failing)
		requireUnavailable(t, nil, err)
		assert.ErrorContains(t, err, "table unreachable")
	}
	assert.Equal(t, 1, tt.count(issuerOf(failing)))
	clk.Add(time.Second)
	requireUnavailable(t, nil, verify(failing))
	assert.Equal(t, 2, tt.count(issuerOf(failing)))
	tt.mu.Lock()
	tt.err = nil
	tt.mu.Unlock()
	tt.set(failing, f.config(failing))
	clk.Add(time.Second)
	require.NoError(t, verify(failing), "recovered")

	// A found answer that is due and then fails is "could not decide",
	// never the old pool.
	clk.Add(11 * time.Minute)
	tt.mu.Lock()
	tt.err = errors.New("table unreachable")
	tt.mu.Unlock()
	requireUnavailable(t, nil, verify(failing))
}

// Concurrent tokens of one new issuer make one resolver call; a waiter
// that gives up does not fail the others.
func TestResolverSingleflight(t *testing.T) {
	f := newFakeCognito(t)
	synctest.Test(t, func(t *testing.T) {
		acme := "us-east-1_Acme"
		tt := newTenantTable(f, acme)
		m := newResolving(t, tt)
		release := tt.holdCalls()
		token := f.token(acme, "ann")
		const waiters = 50
		errs := make(chan error, waiters)
		for range waiters {
			go func() { _, err := m.Verify(t.Context(), token); errs <- err }()
		}
		quitter, quit := context.WithCancel(t.Context())
		quitErr := make(chan error, 1)
		go func() { _, err := m.Verify(quitter, token); quitErr <- err }()
		synctest.Wait()
		assert.Equal(t, 1, tt.count(issuerOf(acme)))
		quit()
		err := <-quitErr
		requireUnavailable(t, nil, err)
		assert.ErrorIs(t, err, context.Canceled)

		release()
		for range waiters {
			require.NoError(t, <-errs)
		}
		assert.Equal(t, 1, tt.count(issuerOf(acme)))
		assert.Equal(t, 1, f.count(acme))
	})
}

// A lookup running when its issuer is removed or added is not kept: its
// waiters look again, and see the removal or the registration.
func TestResolverChangedDuringLookup(t *testing.T) {
	f := newFakeCognito(t)
	acme := "us-east-1_Acme"
	for _, change := range []string{"Remove", "Add"} {
		t.Run(change, func(t *testing.T) {
			tt := newTenantTable(f, acme)
			m := newResolving(t, tt)
			release := tt.holdCalls()
			done := make(chan error, 1)
			go func() { _, err := m.Verify(ctx, f.token(acme, "ann")); done <- err }()
			<-tt.arrived
			// The held call read the table before the change: its answer,
			// "found" with the old Config, is out of date.
			if change == "Remove" {
				tt.delete(acme) // the tenant leaves; the service tells the verifier
				assert.False(t, m.Remove(issuerOf(acme)))
			} else {
				strict := f.config(acme)
				strict.ClientIDs = []string{"another-client"}
				require.NoError(t, m.Add(strict))
			}
			release()
			err := <-done
			if change == "Remove" {
				requireRejected(t, cognito.ErrIssuer, nil, err)
				assert.Equal(t, 2, tt.count(issuerOf(acme)), "asked again after the removal")
			} else {
				requireRejected(t, cognito.ErrClient, nil, err)
				assert.Equal(t, 1, tt.count(issuerOf(acme)))
			}
			assert.Zero(t, cognito.ResolvedPools(m), "the stale answer was not kept")
		})
	}
}

// The resolver's answers are bounded: at most MaxResolved pools (the least
// recently used go first, and must be asked for again), and as many
// not-found answers apart, so a flood of unknown issuers evicts no tenant.
func TestResolverAnswersBounded(t *testing.T) {
	f := newFakeCognito(t)
	const bound = 4
	var ids []string
	for i := range 10 {
		ids = append(ids, fmt.Sprintf("us-east-1_Tenant%02d", i))
	}
	tt := newTenantTable(f, ids...)
	m := newResolving(t, tt, func(mc *cognito.MultiConfig) { mc.MaxResolved = bound })
	for _, id := range ids {
		_, err := m.Verify(ctx, f.badSignatureToken(id))
		require.ErrorIs(t, err, cognito.ErrSignature)
		assert.LessOrEqual(t, cognito.ResolvedPools(m), bound)
	}
	assert.Equal(t, bound, cognito.ResolvedPools(m))

	for i := range 100 {
		_, err := m.Verify(ctx, f.badSignatureToken(fmt.Sprintf("us-east-1_Nobody%03d", i)))
		require.ErrorIs(t, err, cognito.ErrIssuer)
		assert.LessOrEqual(t, cognito.NotFoundAnswers(m), bound)
	}
	assert.Equal(t, bound, cognito.ResolvedPools(m))
	for _, id := range ids[len(ids)-bound:] {
		_, err := m.Verify(ctx, f.badSignatureToken(id))
		require.ErrorIs(t, err, cognito.ErrSignature)
		assert.Equal(t, 1, tt.count(issuerOf(id)), "still kept: %s", id)
	}
	_, err := m.Verify(ctx, f.token(ids[0], "ann"))
	require.NoError(t, err, "evicted, resolved again")
	assert.Equal(t, 2, tt.count(issuerOf(ids[0])))
}

// Behind the middleware: a tenant's token is served, an unknown issuer is
// 401, and a failing tenant table is 500, never 401 (M-02).
func TestResolverMiddleware(t *testing.T) {
	f := newFakeCognito(t)
	acme := "us-east-1_Acme"
	tt := newTenantTable(f, acme)
	h := newResolving(t, tt).Middleware(whoami)
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

	res := serve(h, "GET", "/", bearer(f.token(acme, "ann"))...)
	assert.Equal(t, 200, res.status)
	assert.Equal(t, "sub-"+acme+"-ann", res.body)
	res = serve(h, "GET", "/", bearer(f.token("us-east-1_Stranger", "x"))...)
	assert.Equal(t, 401, res.status)

	tt.mu.Lock()
	tt.err = errors.New("table unreachable")
	tt.mu.Unlock()
	res = serve(h, "GET", "/", bearer(f.token("us-east-1_Newco", "x"))...)
	assert.Equal(t, 500, res.status)
}
