package cognito

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults and limits of [Config].
const (
	// DefaultMaxTokenBytes is the token size limit when Config.MaxTokenBytes
	// is zero. Real Cognito tokens are 1–4 KiB; one carrying the maximum of
	// 100 groups with long names stays below 24 KiB.
	DefaultMaxTokenBytes = 32 << 10
	// DefaultRefetchInterval is how long a token with an unknown kid must
	// wait after one key-set fetch before it can trigger another, as in
	// aws-jwt-verify.
	DefaultRefetchInterval = 10 * time.Second
	// DefaultKeyRefreshInterval is how old a fetched key set gets before it
	// is refreshed in the background.
	DefaultKeyRefreshInterval = time.Hour
	// DefaultMaxKeyAge bounds how long cached keys serve while every
	// refresh fails.
	DefaultMaxKeyAge = 24 * time.Hour
	// MaxLeeway caps Config.Leeway and Config.ClockSkew.
	MaxLeeway = 5 * time.Minute
	// DefaultClockSkew is how far in the future iat and nbf may be when
	// Config.ClockSkew is zero. A real Cognito access token carries an iat
	// seconds after its auth_time, so a server clock that lags Cognito's by
	// a second or two would otherwise reject a token used at once.
	DefaultClockSkew = time.Minute

	maxKidBytes = 256
)

// Config configures a [Verifier]. UserPoolID, TokenUse and ClientIDs (or
// SkipClientIDCheck) are required; every other field has a safe default.
type Config struct {
	// UserPoolID is the pool whose tokens are accepted, such as
	// "us-east-1_AbC123xyz". The region, the issuer
	// https://cognito-idp.{region}.amazonaws.com/{UserPoolID} and the JWKS
	// URL {issuer}/.well-known/jwks.json are derived from it for the
	// commercial (aws) and GovCloud (aws-us-gov) partitions. Pool IDs of
	// partitions for which AWS documents no Cognito issuer host (aws-cn,
	// aws-eusc such as "eusc-de-east-1_AbC123", aws-iso*) are accepted only
	// with Issuer set: a guessed host would be an outage. It may be empty
	// only when Issuer is set.
	UserPoolID string

	// ClientIDs lists the app clients whose tokens are accepted: client_id
	// of an access token, aud of an ID token, must be one of them.
	ClientIDs []string
	// SkipClientIDCheck accepts tokens of any app client of the pool. It
	// must be set explicitly when ClientIDs is empty.
	SkipClientIDCheck bool

	// TokenUse is the kind of token accepted: AccessToken, IDToken, or
	// AnyTokenUse for both (each kind checked by its own client rule, the
	// kind reported in Claims.TokenUse). Required: the zero value is
	// refused.
	TokenUse TokenUse

	// Groups, when not empty, requires the token's cognito:groups to hold
	// at least one of them.
	Groups []string
	// Scopes, when not empty, requires the access token's scope to grant at
	// least one of them. Not allowed with IDToken (ID tokens carry no
	// scope), nor with AnyTokenUse, where an ID token could never meet it:
	// require scopes per route with RequireScopes instead.
	Scopes []string

	// Resources, when not empty, requires an access token's aud to hold at
	// least one of these resource identifiers. Cognito puts the API's
	// identifier in an access token's aud only when the app requested a
	// resource binding; client_id is still checked against ClientIDs.
	// Without Resources, an access token's aud is not checked (as before),
	// so a token bound to another API of the same pool and client is
	// accepted. Requires TokenUse AccessToken (an ID token's aud is its app
	// client).
	Resources []string

	// Principal, when not AnyPrincipal (the default), accepts only tokens
	// issued to users (UserPrincipal) or only machine-to-machine tokens
	// (MachinePrincipal); see [Claims.IsMachine] for how they differ.
	// MachinePrincipal requires access tokens.
	Principal Principal

	// MaxAuthAge, when positive, requires auth_time and rejects a token
	// whose user signed in longer than MaxAuthAge ago (checked again on
	// every verified-token cache hit; no Leeway applies). Cognito keeps
	// auth_time across refreshes, so this bounds the sign-in, not the
	// token.
	MaxAuthAge time.Duration
	// ACRValues, when not empty, requires the token's acr to be one of them
	// (exact match, no ordering: list every level you accept). Cognito
	// reports four levels under default names such as urn:cognito:loa:3,
	// which a pool may rename (AcrConfiguration, Level1 to Level4). AWS
	// documents acr in ID tokens; whether access tokens carry it is not
	// stated.
	ACRValues []string

	// ClaimRules are declarative rules on other claims (custom:tenant,
	// custom:plan, amr, …), all of which must hold; see [ClaimRule]. They
	// are checked after every built-in check, and are validated by
	// NewVerifier.
	ClaimRules []ClaimRule
	// Check, when set, is called with the verified claims after every other
	// check, including on each verified-token cache hit (its answer may
	// change, as a tenant table does, and a cached decision must not outlive
	// it). A non-nil error rejects the token: Verify returns a *TokenError
	// with Reason ErrCheck through which the error is reachable with
	// errors.Is and errors.As. An error that wraps ErrKeysUnavailable, or a
	// context error, means it could not decide: Verify returns it wrapped,
	// outside the ErrInvalidToken family (500, not 401). Check receives
	// the caller's own copy of the claims and must be safe for concurrent
	// use.
	Check func(ctx context.Context, c *Claims) error

	// Leeway tolerates clock skew on exp: a token is accepted until
	// exp + Leeway. Default 0 (exp is exact, RFC 7519 §4.1.4); at most
	// MaxLeeway.
	Leeway time.Duration
	// ClockSkew tolerates a server clock behind Cognito's: iat and nbf may
	// be up to ClockSkew (or Leeway, if larger) in the future. Default
	// DefaultClockSkew (1 minute, as go-jose); negative: none; at most
	// MaxLeeway. A token issued further in the future is rejected.
	ClockSkew time.Duration

	// JWKS, when set, is the pool's key set (the JSON of its jwks.json,
	// downloaded once and shipped with the program). The verifier then
	// never fetches keys, and a token with an unknown kid is rejected.
	JWKS []byte

	// UpdatedIssuer also accepts Cognito's updated issuer form,
	// https://issuer-cognito-idp.{region}.amazonaws.com/{UserPoolID}, region
	// being the pool's primary region, which pools opt in to, with its own
	// key set. Each issuer's keys are fetched only once a token with that
	// issuer arrives. AWS recommends it for all pools, and for Multi-Region
	// Replication in particular: every replica issues this same iss.
	// Commercial (aws) pools only.
	UpdatedIssuer bool
	// ReplicaRegions accepts, for a pool with Multi-Region Replication that
	// keeps the original issuer, tokens whose iss names a replica region:
	// https://cognito-idp.{replica}.amazonaws.com/{UserPoolID}, each with
	// its own key set, fetched lazily (so listing a region costs nothing
	// until such a token arrives). Replicas issued such tokens until
	// mid-2026; since then they issue the primary region's iss (reported in
	// aws-jwt-verify issue 282), which needs no option. Keep it only while
	// tokens of the earlier behaviour may still be in use, or prefer
	// UpdatedIssuer. The updated form is never derived for a replica: it
	// always names the primary region. Commercial (aws) pools only.
	ReplicaRegions []string

	// Issuer overrides the derived issuer, for local emulators and tests.
	// It must be an https URL, or http on a loopback host (any host with
	// AllowHTTP). With it set, UserPoolID is not required to match the
	// Cognito format.
	Issuer string
	// JWKSURL overrides the derived key-set URL; same rules as Issuer.
	JWKSURL string
	// AllowHTTP permits http Issuer and JWKSURL values on any host, for an
	// emulator on a container network. Keys fetched over plain HTTP can be
	// replaced by anyone on the path: never set it in production.
	AllowHTTP bool

	// HTTPClient fetches the key set. Nil means a client with dial, TLS and
	// header timeouts of 3 s. Redirects are never followed, whatever the
	// client's CheckRedirect says.
	HTTPClient *http.Client
	// FetchTimeout bounds one key-set fetch. Default DefaultFetchTimeout.
	FetchTimeout time.Duration
	// RefetchInterval is the minimum time between two fetches caused by
	// tokens with unknown kids, and between background refreshes. Default
	// DefaultRefetchInterval.
	RefetchInterval time.Duration
	// KeyRefreshInterval is the age at which a fetched key set is refreshed
	// in the background (the Verify that notices is not delayed), so that a
	// key removed from the pool stops being trusted. Default
	// DefaultKeyRefreshInterval; negative: never.
	KeyRefreshInterval time.Duration
	// MaxKeyAge is how long after the last successful fetch cached keys are
	// still used while every refresh fails; after it, Verify returns
	// ErrKeysUnavailable until a fetch succeeds. Default DefaultMaxKeyAge
	// (Cognito tokens live at most a day); negative: keys never expire.
	MaxKeyAge time.Duration

	// Now returns the current time. Default time.Now.
	Now func() time.Time

	// Logger, when set, receives the key cache's events: keys fetched (how
	// many, how long it took), a fetch failed (why), cached keys serving
	// past a failed refresh (their age), keys refreshed in the background.
	// Tokens are never logged. See also [Verifier.Stats].
	Logger *slog.Logger

	// MaxTokenBytes rejects longer tokens before any decoding. Default
	// DefaultMaxTokenBytes; at most 1 MiB.
	MaxTokenBytes int

	// TokenCacheSize bounds the cache of verified tokens, which answers a
	// token seen before without parsing it or checking its signature again
	// (exp, nbf and iat are always checked again; see the README for what
	// else it does and does not change). Zero means DefaultTokenCacheSize;
	// a negative value disables the cache. At most 1,000,000.
	TokenCacheSize int
}

// Verifier verifies the tokens of one Cognito user pool. Build it once with
// [NewVerifier] and share it: it is safe for concurrent use, and it caches
// the pool's signing keys.
type Verifier struct {
	issuer        string
	tokenUse      TokenUse
	clientIDs     []string
	skipClientID  bool
	groups        []string
	scopes        []string
	leeway        time.Duration // on exp
	skew          time.Duration // on iat and nbf: max(Leeway, ClockSkew)
	now           func() time.Time
	maxTokenBytes int
	keys          *jwksCache            // the primary issuer's keys
	issuers       map[string]*jwksCache // every issuer's keys, when there are several
	cache         *tokenCache           // nil when disabled
	stats         counters

	// The rules of Resources, Principal, MaxAuthAge, ACRValues, ClaimRules
	// and Check (see rules.go); all zero when unused.
	resources  []string
	principal  Principal
	maxAuthAge time.Duration
	acr        []string
	rules      []ClaimRule
	check      func(context.Context, *Claims) error
}

// NewVerifier checks cfg and returns a Verifier. It does no network I/O:
// keys are fetched on first use, or up front with [Verifier.Warm].
func NewVerifier(cfg Config) (*Verifier, error) {
	v := &Verifier{
		tokenUse:      cfg.TokenUse,
		clientIDs:     cloneNonEmpty(cfg.ClientIDs),
		skipClientID:  cfg.SkipClientIDCheck,
		groups:        cloneNonEmpty(cfg.Groups),
		scopes:        cloneNonEmpty(cfg.Scopes),
		leeway:        cfg.Leeway,
		now:           cfg.Now,
		maxTokenBytes: cfg.MaxTokenBytes,
	}
	bad := func(format string, args ...any) (*Verifier, error) {
		return nil, fmt.Errorf("cognito: invalid config: "+format, args...)
	}
	if cfg.Issuer != "" {
		if err := checkURL(cfg.Issuer, cfg.AllowHTTP); err != nil {
			return bad("Issuer: %v", err)
		}
		if cfg.UserPoolID != "" && strings.ContainsAny(cfg.UserPoolID, "/?#") {
			return bad("UserPoolID %q contains a URL character", cfg.UserPoolID)
		}
		v.issuer = cfg.Issuer
	} else {
		_, _, iss, err := poolIssuer(cfg.UserPoolID)
		if err != nil {
			return bad("%v", err)
		}
		v.issuer = iss
	}
	switch v.tokenUse {
	case AccessToken, IDToken, AnyTokenUse:
	case "":
		return bad("TokenUse is required (cognito.AccessToken, cognito.IDToken or cognito.AnyTokenUse)")
	default:
		return bad("TokenUse %q is none of %q, %q and %q", v.tokenUse, AccessToken, IDToken, AnyTokenUse)
	}
	if len(cfg.ClientIDs) != len(v.clientIDs) {
		return bad("ClientIDs holds an empty string")
	}
	if len(v.clientIDs) == 0 && !v.skipClientID {
		return bad("ClientIDs is required (or set SkipClientIDCheck to accept every app client)")
	}
	if len(v.clientIDs) > 0 && v.skipClientID {
		return bad("ClientIDs and SkipClientIDCheck are both set")
	}
	if len(cfg.Groups) != len(v.groups) || len(cfg.Scopes) != len(v.scopes) {
		return bad("Groups or Scopes holds an empty string")
	}
	if len(v.scopes) > 0 && v.tokenUse != AccessToken {
		return bad("Scopes requires TokenUse AccessToken: ID tokens carry no scope (with AnyTokenUse, require scopes per route with RequireScopes)")
	}
	if err := v.setRules(&cfg); err != nil {
		return bad("%v", err)
	}
	if v.leeway < 0 || v.leeway > MaxLeeway {
		return bad("Leeway %v is not between 0 and %v", v.leeway, MaxLeeway)
	}
	switch skew := cfg.ClockSkew; {
	case skew > MaxLeeway:
		return bad("ClockSkew %v is over %v", skew, MaxLeeway)
	case skew == 0:
		v.skew = DefaultClockSkew
	case skew > 0:
		v.skew = skew
	}
	v.skew = max(v.skew, v.leeway)
	if v.now == nil {
		v.now = time.Now
	}
	switch {
	case v.maxTokenBytes == 0:
		v.maxTokenBytes = DefaultMaxTokenBytes
	case v.maxTokenBytes < 0 || v.maxTokenBytes > 1<<20:
		return bad("MaxTokenBytes %d is not between 1 and 1 MiB", v.maxTokenBytes)
	}

	switch size := cfg.TokenCacheSize; {
	case size == 0:
		v.cache = newTokenCache(DefaultTokenCacheSize)
	case size > 1_000_000:
		return bad("TokenCacheSize %d is over 1,000,000", size)
	case size > 0:
		v.cache = newTokenCache(size)
	}

	c := &jwksCache{
		log:             cfg.Logger,
		fetchTimeout:    cfg.FetchTimeout,
		refetchInterval: cfg.RefetchInterval,
		now:             v.now,
	}
	if c.fetchTimeout == 0 {
		c.fetchTimeout = DefaultFetchTimeout
	}
	if c.refetchInterval == 0 {
		c.refetchInterval = DefaultRefetchInterval
	}
	if c.fetchTimeout < 0 || c.refetchInterval < 0 {
		return bad("FetchTimeout and RefetchInterval must not be negative")
	}
	c.refreshAfter, c.maxAge = orDefault(cfg.KeyRefreshInterval, DefaultKeyRefreshInterval), orDefault(cfg.MaxKeyAge, DefaultMaxKeyAge)
	if c.maxAge > 0 && (c.refreshAfter <= 0 || c.refreshAfter >= c.maxAge) {
		return bad("KeyRefreshInterval %v must be positive and shorter than MaxKeyAge %v", c.refreshAfter, c.maxAge)
	}
	if cfg.JWKS != nil {
		if cfg.JWKSURL != "" {
			return bad("JWKS and JWKSURL are both set")
		}
		s, err := parseJWKS(cfg.JWKS)
		if err != nil {
			return bad("JWKS: %v", err)
		}
		c.fixed = true
		c.set.Store(s)
	} else {
		c.url = cfg.JWKSURL
		if c.url == "" {
			c.url = v.issuer + "/.well-known/jwks.json"
		} else if err := checkURL(c.url, cfg.AllowHTTP); err != nil {
			return bad("JWKSURL: %v", err)
		}
		if cfg.HTTPClient != nil {
			hc := *cfg.HTTPClient
			hc.CheckRedirect = refuseRedirect
			c.client = &hc
		} else {
			c.client = newHTTPClient()
		}
	}
	v.keys = c

	// More issuers of the same pool, each with its own key set, fetched
	// lazily like the primary one's.
	if cfg.UpdatedIssuer || len(cfg.ReplicaRegions) > 0 {
		if cfg.Issuer != "" || cfg.JWKSURL != "" || cfg.JWKS != nil {
			return bad("UpdatedIssuer and ReplicaRegions derive issuers from UserPoolID: not with Issuer, JWKSURL or JWKS")
		}
		v.issuers = map[string]*jwksCache{v.issuer: c}
		add := func(iss string) bool {
			if v.issuers[iss] != nil {
				return false
			}
			v.issuers[iss] = &jwksCache{
				url:             iss + "/.well-known/jwks.json",
				client:          c.client,
				fetchTimeout:    c.fetchTimeout,
				refetchInterval: c.refetchInterval,
				refreshAfter:    c.refreshAfter,
				maxAge:          c.maxAge,
				now:             c.now,
				log:             c.log,
			}
			return true
		}
		home, part, _, _ := poolIssuer(cfg.UserPoolID)
		if !part.updated {
			return bad("UpdatedIssuer and ReplicaRegions: AWS documents neither for %s pools; set Issuer to the iss of the pool's tokens", part.name)
		}
		if cfg.UpdatedIssuer {
			// The updated form names the primary region, wherever the
			// token was issued.
			add(cognitoIssuer("issuer-cognito-idp", home, cfg.UserPoolID))
		}
		for _, r := range cfg.ReplicaRegions {
			if err := checkReplica(r, part); err != nil {
				return bad("ReplicaRegions: %v", err)
			}
			switch {
			case r == home:
				return bad("ReplicaRegions: %q is the pool's own region", r)
			case !add(cognitoIssuer("cognito-idp", r, cfg.UserPoolID)):
				return bad("ReplicaRegions: %q is listed twice", r)
			}
		}
	}
	return v, nil
}

// Issuers returns every iss value the verifier accepts, the primary first.
func (v *Verifier) Issuers() []string {
	out := []string{v.issuer}
	for iss := range v.issuers {
		if iss != v.issuer {
			out = append(out, iss)
		}
	}
	sort.Strings(out[1:])
	return out
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func cloneNonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkURL accepts absolute https URLs, and http URLs on loopback hosts
// (local emulators) or, with allowHTTP, any host; never user info, query or
// fragment.
func checkURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Host == "" || u.User != nil || strings.ContainsAny(raw, "?#") || strings.HasSuffix(raw, "/"):
		return fmt.Errorf("%q is not an absolute URL without user info, query, fragment or trailing slash", raw)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (allowHTTP || isLoopback(u.Hostname())):
		return nil
	}
	return fmt.Errorf("%q is neither https nor http on a loopback host (set AllowHTTP for an emulator elsewhere)", raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Issuer returns the iss value tokens must carry.
func (v *Verifier) Issuer() string { return v.issuer }

// Warm fetches the pool's signing keys now unless they are cached, so that
// the first request does not wait for them (call it in a Lambda's init
// phase). With several issuers it warms the primary one only: the others'
// keys are fetched when their first token arrives (a pool that has not
// opted in to an issuer form has no key set there). Errors wrap
// [ErrKeysUnavailable].
func (v *Verifier) Warm(ctx context.Context) error {
	return v.keys.warm(ctx)
}

// Verify checks token and returns its claims. The checks, in order: size and
// compact-JWS framing; header (alg exactly RS256, a kid, no other parameter
// than typ); the key with that kid in the pool's key set; the RS256
// signature; then, on the verified payload, exp (required), nbf, iat, iss,
// token_use, client_id or aud (and an access token's aud against
// Resources), sub, the configured groups and scopes, Principal,
// MaxAuthAge, ACRValues and ClaimRules, and last Config.Check.
//
// On any failure it returns nil claims and an error that wraps either
// [ErrInvalidToken] and a specific reason, or [ErrKeysUnavailable]. Verify
// never returns an expiry error for a token whose signature is not valid.
// The returned Claims are the caller's own (see [Claims]).
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	c, hit, err := v.verify(ctx, token)
	if !hit {
		v.stats.record(err)
		if v.cache != nil {
			v.stats.misses.Add(1)
		}
	}
	return c, err
}

// verify is Verify; hit reports an answer from the verified-token cache,
// counted there.
func (v *Verifier) verify(ctx context.Context, token string) (_ *Claims, hit bool, _ error) {
	if len(token) > v.maxTokenBytes {
		return nil, false, reject(ErrTooLarge, "%d bytes, limit %d", len(token), v.maxTokenBytes)
	}
	h, p, err := split(token)
	if err != nil {
		return nil, false, err
	}
	// The digest of the signing input serves the signature check and the
	// verified-token cache. A hit is a byte-identical token that passed
	// every check before; only the time checks can change their answer.
	digest := sha256.Sum256(bytesOf(token[:p]))
	if v.cache != nil {
		if e := v.cache.get(&digest, token[p+1:]); e != nil {
			if c, ok, err := v.answerHit(ctx, v.cache, &digest, e, v.now()); ok {
				if err != nil {
					v.stats.record(err)
				}
				return c, true, err
			}
		}
	}

	// Buffers on the stack: a Cognito header is about 90 bytes, a signature
	// 256, a payload under 2 KiB. Larger ones go to the heap.
	var hbuf [256]byte
	header, err := decodeInto(hbuf[:], token[:h])
	if err != nil {
		return nil, false, notBase64(token, "header")
	}
	kid, err := parseHeader(header)
	if err != nil {
		return nil, false, err
	}
	var pbuf [2048]byte
	payload, err := decodeInto(pbuf[:], token[h+1:p])
	if err != nil {
		return nil, false, notBase64(token, "payload")
	}
	var sbuf [512]byte
	sig, err := decodeInto(sbuf[:], token[p+1:])
	if err != nil {
		return nil, false, notBase64(token, "signature")
	}
	var c *Claims
	var sc scanned
	var scanErr error
	keys, issuer := v.keys, v.issuer
	if v.issuers != nil {
		// Several issuers: the unverified iss only selects whose key set to
		// look in (no other issuer's keys are ever fetched); it is checked
		// again, with everything else, once the signature holds. A payload
		// that does not scan is judged after the signature too, with the
		// primary issuer's keys when it names no issuer.
		c, scanErr = scanPayload(payload, &sc)
		if sc.has&cIss != 0 {
			if keys = v.issuers[sc.iss]; keys == nil {
				return nil, false, reject(ErrIssuer, "iss %q is not one of %q", truncate(sc.iss), v.Issuers())
			}
			issuer = sc.iss
		}
	}
	key, set, err := keys.lookup(ctx, kid, v.now())
	if err != nil {
		return nil, false, v.explainKeyError(err, payload, issuer)
	}
	if len(sig) != key.Size() {
		return nil, false, reject(ErrSignature, "signature length does not match the key")
	}
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, false, reject(ErrSignature, "")
	}
	if c == nil {
		c, scanErr = scanPayload(payload, &sc)
	}
	if scanErr != nil {
		return nil, false, scanErr
	}
	if err := v.checkClaims(&sc, c, issuer, v.now()); err != nil {
		return nil, false, err
	}
	var e *cacheEntry
	if v.cache != nil {
		// The entry keeps its own copy, under the set that holds the key,
		// made before Config.Check sees c.
		e = &cacheEntry{sig: token[p+1:], set: set, keys: keys}
		c.copyTo(&e.claims)
	}
	if v.check != nil {
		if err := v.runCheck(ctx, c); err != nil {
			return nil, false, err
		}
	}
	if e != nil {
		v.cache.put(&digest, e)
	}
	return c, false, nil
}

// answerHit answers a verified-token cache hit by the rules of a miss: the
// key set that verified it must still serve (ok is false otherwise, and
// the token is verified afresh), and the answers that change with time or
// with the service's own data are given again, on the entry's own copy of
// the claims: exp, nbf, iat, the sign-in's age and Config.Check. The caller
// gets a copy of its own. A MultiVerifier's shared cache answers through
// the pool's verifier here too.
func (v *Verifier) answerHit(ctx context.Context, cache *tokenCache, digest *[32]byte, e *cacheEntry, now time.Time) (_ *Claims, ok bool, _ error) {
	if !e.keys.serves(e.set, now) {
		return nil, false, nil
	}
	if err := v.checkTimes(&e.claims, now); err != nil {
		cache.remove(digest, e)
		return nil, true, err
	}
	if err := v.checkAuthAge(&e.claims, now); err != nil {
		cache.remove(digest, e) // too old now, too old for good
		return nil, true, err
	}
	c := e.claims.clone()
	if v.check != nil {
		if err := v.runCheck(ctx, c); err != nil {
			return nil, true, err
		}
	}
	cache.served(digest)
	return c, true, nil
}

// explainKeyError adds to a kid that is not in the key set the most common
// cause: a token of another pool, told by its unverified iss.
func (v *Verifier) explainKeyError(err error, payload []byte, issuer string) error {
	var te *TokenError
	if !errors.As(err, &te) || te.Reason != ErrKeyNotFound {
		return err
	}
	var sc scanned
	_, _ = scanPayload(payload, &sc)
	if sc.has&cIss == 0 || sc.iss == issuer {
		return err
	}
	return reject(ErrKeyNotFound, "%s; the token's (unverified) iss is %q, and this verifier expects %q: a token of another user pool or region?", te.Detail, truncate(sc.iss), issuer)
}

// scanPayload checks the payload's encoding and scans its claims into sc,
// with a new Claims as the store of their lists.
func scanPayload(payload []byte, sc *scanned) (*Claims, error) {
	if !utf8.Valid(payload) {
		return nil, reject(ErrMalformed, "payload is not UTF-8")
	}
	c := &Claims{raw: string(payload)}
	sc.arena = c.store[:0]
	if err := scanClaims(c.raw, sc); err != nil {
		return nil, err
	}
	return c, nil
}
