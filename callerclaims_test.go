package cognito_test

import (
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-verify/cognito"
	"github.com/cognito-verify/cognito/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scribble writes over every exported field of c, as a careless or hostile
// handler might: strings replaced, bools flipped, times moved far into the
// future (an expired token would pass on them, a valid one would fail),
// every list element overwritten, then the lists appended to. A field of a
// type it does not know fails the test, so a new Claims field cannot be
// left out.
func scribble(t testing.TB, c *cognito.Claims) {
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		switch p := v.Field(i).Addr().Interface().(type) {
		case *string:
			*p = "scribbled"
		case *cognito.TokenUse:
			*p = "scribbled"
		case *bool:
			*p = !*p
		case *time.Time:
			*p = far
		case *[]string:
			for j := range *p {
				(*p)[j] = "admin"
			}
			*p = append(*p, "admin", "admin:write")
		default:
			t.Errorf("scribble: Claims.%s has a type it does not know: %s", f.Name, f.Type)
		}
	}
}

// scribbleLists only adds "admin" to the groups and "admin:write" to the
// scopes, which on shared claims would open routes rather than close them.
func scribbleLists(_ testing.TB, c *cognito.Claims) {
	c.Groups = append(c.Groups, "admin")
	c.Scopes = append(c.Scopes, "admin:write")
}

// view is what a caller sees of c: every exported field, and the payload.
func view(c *cognito.Claims) map[string]any {
	if c == nil {
		return nil
	}
	m := map[string]any{"Raw": string(c.Raw())}
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() {
			m[f.Name] = v.Field(i).Interface()
		}
	}
	return m
}

// C-03: whatever a caller writes to the Claims it got, from a fresh
// verification or a cache hit, later hits return the token's own claims,
// and their time checks read the token's own exp, nbf and iat.
func TestClaimsAreTheCallersOwn(t *testing.T) {
	many := make([]string, 12) // more than a Claims value holds inline
	for i := range many {
		many[i] = fmt.Sprint("group-", i)
	}
	for _, tc := range []struct {
		name string
		use  cognito.TokenUse
		opts []cognitotest.TokenOption
	}{
		{"access token", cognito.AccessToken, []cognitotest.TokenOption{cognitotest.WithGroups("users", "staff"), cognitotest.WithScopes("read", "write")}},
		{"access token, 12 groups", cognito.AccessToken, []cognitotest.TokenOption{cognitotest.WithGroups(many...), cognitotest.WithScopes("read")}},
		{"ID token", cognito.IDToken, []cognitotest.TokenOption{cognitotest.WithGroups("users"), cognitotest.WithClaim("aud", []string{"other", cognitotest.DefaultClientID})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &movingClock{now: fixedNow}
			pool := memPool(t, cognitotest.WithClock(clk.Now))
			use := func(c *cognito.Config) { c.TokenUse = tc.use }
			v := newVerifier(t, pool, use)
			reference := newVerifier(t, pool, use, func(c *cognito.Config) { c.TokenCacheSize = -1 })
			opts := append([]cognitotest.TokenOption{cognitotest.ExpiresIn(time.Minute)}, tc.opts...)
			token := pool.AccessToken(opts...)
			if tc.use == cognito.IDToken {
				token = pool.IDToken(opts...)
			}
			want, err := reference.Verify(ctx, token)
			require.NoError(t, err)

			got, err := v.Verify(ctx, token) // verified, then cached
			require.NoError(t, err)
			require.Equal(t, view(want), view(got))
			scribble(t, got)
			for range 3 {
				hits := cognito.CacheHits(v)
				got, err = v.Verify(ctx, token)
				require.NoError(t, err, "a hit must not read the caller's NotBefore or IssuedAt")
				require.Equal(t, hits+1, cognito.CacheHits(v))
				require.Equal(t, view(want), view(got), "a hit returns the token's claims")
				scribble(t, got)
			}
			clk.Add(time.Minute) // now == exp
			c, err := v.Verify(ctx, token)
			requireRejected(t, cognito.ErrExpired, c, err)
		})
	}
}

// C-03: the middleware's group and scope rules read the claims of each
// request's own Verify: a handler that writes to the claims it got (adds
// "admin" to the groups and a scope to the scopes, or scribbles over every
// field) opens no route and closes none on later requests with the same
// token, all of them cache hits.
func TestMiddlewareIgnoresWrittenClaims(t *testing.T) {
	for name, write := range map[string]func(testing.TB, *cognito.Claims){
		"groups and scopes": scribbleLists,
		"every field":       scribble,
	} {
		t.Run(name, func(t *testing.T) {
			pool := memPool(t)
			v := newVerifier(t, pool)
			writer := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, ok := cognito.ClaimsFromContext(r.Context())
				if !ok {
					http.Error(w, "no claims", http.StatusTeapot)
					return
				}
				write(t, c)
				w.WriteHeader(http.StatusNoContent)
			}))
			admins := v.Middleware(whoami, cognito.RequireGroups("admin"))
			adminWriters := v.Middleware(whoami, cognito.RequireScopes("admin:write"))
			users := v.Middleware(whoami, cognito.RequireGroups("users"), cognito.RequireScopes("read"))

			auth := []string{"Authorization", "Bearer " + pool.AccessToken(cognitotest.WithGroups("users"), cognitotest.WithScopes("read"))}
			for i := range 3 {
				require.Equal(t, http.StatusNoContent, serve(writer, "GET", "/", auth...).status)
				assert.Equal(t, http.StatusForbidden, serve(admins, "GET", "/", auth...).status, "request %d", i)
				assert.Equal(t, http.StatusForbidden, serve(adminWriters, "GET", "/", auth...).status, "request %d", i)
				assert.Equal(t, http.StatusOK, serve(users, "GET", "/", auth...).status, "request %d", i)
			}
			assert.Equal(t, uint64(11), cognito.CacheHits(v))

			// The routes do open to a token that holds the group and the scope.
			auth = []string{"Authorization", "Bearer " + pool.AccessToken(cognitotest.WithGroups("admin"), cognitotest.WithScopes("admin:write"))}
			assert.Equal(t, http.StatusOK, serve(admins, "GET", "/", auth...).status)
			assert.Equal(t, http.StatusOK, serve(adminWriters, "GET", "/", auth...).status)
		})
	}
}

// C-03: callers writing at once to the Claims each got for one token share
// no memory (the race detector would say so) and each gets the token's
// claims.
func TestClaimsConcurrentWriters(t *testing.T) {
	pool := memPool(t)
	v := newVerifier(t, pool)
	token := pool.AccessToken(cognitotest.WithGroups("users", "staff"), cognitotest.WithScopes("read", "write"))
	want, err := newVerifier(t, pool, func(c *cognito.Config) { c.TokenCacheSize = -1 }).Verify(ctx, token)
	require.NoError(t, err)

	var wg sync.WaitGroup
	var failed, differed atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c, err := v.Verify(ctx, token)
				switch {
				case err != nil:
					failed.Add(1)
				case !reflect.DeepEqual(view(want), view(c)):
					differed.Add(1)
				default:
					scribble(t, c)
				}
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failed.Load(), "Verify calls that failed")
	assert.Zero(t, differed.Load(), "Verify calls that returned other claims")
	assert.GreaterOrEqual(t, cognito.CacheHits(v), uint64(8*100-8), "hits, but for the first verifications")
}
