package cognito

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file holds the rules a service adds to the built-in checks:
// Config.Resources, Principal, MaxAuthAge, ACRValues, ClaimRules and
// Check. Each costs nothing when unset.

// Principal is whom a token was issued to: a user, or an app client itself
// (a machine-to-machine token; see [Claims.IsMachine]).
type Principal int

// The values of Config.Principal and [RequirePrincipal].
const (
	AnyPrincipal     Principal = iota // users and machines: the zero value, no rule
	UserPrincipal                     // only tokens issued to users
	MachinePrincipal                  // only machine-to-machine tokens
)

// ClaimRule is a declarative rule on one claim of the verified payload, as
// the Application Load Balancer's JWT validation, API Gateway's REST JWT
// authorizer and Bedrock AgentCore offer as "additional claims". The claim
// must be present in the Format given and hold one of Values; anything
// else (absent, null, another JSON type, no value in Values) rejects the
// token with [ErrClaimRule]. Comparisons are exact. A ClaimRule is a plain
// value: NewVerifier copies it.
type ClaimRule struct {
	// Name is the claim's name, matched exactly: "custom:tenant", "amr".
	// The time claims (exp, nbf, iat, auth_time) are numbers, checked by
	// the verifier, and are refused.
	Name string
	// Format is how the claim holds its values. Required.
	Format ClaimFormat
	// Values are the accepted values: at least one, none empty; with
	// SpaceSeparated, none containing a space.
	Values []string
}

// ClaimFormat is the JSON shape a [ClaimRule] expects of its claim.
type ClaimFormat int

// The formats of a [ClaimRule]. The zero value is invalid, so a rule
// always says which shape it means.
const (
	// SingleString: the claim is a string equal to one of Values.
	SingleString ClaimFormat = iota + 1
	// StringArray: the claim is an array of strings holding at least one
	// of Values (a lone string does not qualify).
	StringArray
	// SpaceSeparated: the claim is a string of values separated by spaces
	// (as scope is) holding at least one of Values.
	SpaceSeparated
)

// setRules validates and copies the rule options of cfg.
func (v *Verifier) setRules(cfg *Config) error {
	v.resources = cloneNonEmpty(cfg.Resources)
	if len(v.resources) != len(cfg.Resources) {
		return errors.New("Resources holds an empty string")
	}
	if len(v.resources) > 0 && v.tokenUse != AccessToken {
		return errors.New("Resources requires TokenUse AccessToken: an ID token's aud is its app client, and with AnyTokenUse an ID token would pass without any resource binding")
	}
	switch cfg.Principal {
	case AnyPrincipal, UserPrincipal:
	case MachinePrincipal:
		if v.tokenUse == IDToken {
			return errors.New("Principal MachinePrincipal requires access tokens: an ID token is always a user's")
		}
	default:
		return fmt.Errorf("Principal %d is none of AnyPrincipal, UserPrincipal and MachinePrincipal", cfg.Principal)
	}
	v.principal = cfg.Principal
	if cfg.MaxAuthAge < 0 {
		return fmt.Errorf("MaxAuthAge %v is negative", cfg.MaxAuthAge)
	}
	v.maxAuthAge = cfg.MaxAuthAge
	v.acr = cloneNonEmpty(cfg.ACRValues)
	if len(v.acr) != len(cfg.ACRValues) {
		return errors.New("ACRValues holds an empty string")
	}
	for i, r := range cfg.ClaimRules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("ClaimRules[%d]: %v", i, err)
		}
		v.rules = append(v.rules, ClaimRule{Name: r.Name, Format: r.Format, Values: slices.Clone(r.Values)})
	}
	v.check = cfg.Check
	return nil
}

func (r ClaimRule) validate() error {
	switch r.Name {
	case "":
		return errors.New("Name is empty")
	case "exp", "nbf", "iat", "auth_time":
		return fmt.Errorf("%s is a number the verifier checks itself (use MaxAuthAge for auth_time)", r.Name)
	}
	if r.Format < SingleString || r.Format > SpaceSeparated {
		return fmt.Errorf("claim %q: Format %d is none of SingleString, StringArray and SpaceSeparated", r.Name, r.Format)
	}
	if len(r.Values) == 0 {
		return fmt.Errorf("claim %q: no Values (a rule no token can meet)", r.Name)
	}
	for _, val := range r.Values {
		switch {
		case val == "":
			return fmt.Errorf("claim %q: an empty value (an unset variable?)", r.Name)
		case r.Format == SpaceSeparated && strings.Contains(val, " "):
			return fmt.Errorf("claim %q: value %q contains a space, which separates values", r.Name, val)
		}
	}
	return nil
}

// checkResource checks an access token's aud (an empty range when
// absent) against Resources.
func (v *Verifier) checkResource(sc *scanned) error {
	aud := sc.arena[sc.audFrom:sc.audTo]
	switch {
	case anyOf(v.resources, aud):
		return nil
	case len(aud) == 0:
		return reject(ErrResource, "aud is missing: the token is bound to no resource, want one of %q", v.resources)
	}
	return reject(ErrResource, "aud %q holds none of %q", aud, v.resources)
}

// checkRules applies the rules that follow the built-in checks to the
// filled claims: principal, authentication age and level, claim rules.
func (v *Verifier) checkRules(c *Claims, now time.Time) error {
	switch {
	case v.principal == UserPrincipal && c.IsMachine():
		return reject(ErrPrincipal, "a machine-to-machine token (sub is the client_id, no username), want a user's")
	case v.principal == MachinePrincipal && !c.IsMachine():
		return reject(ErrPrincipal, "not a machine-to-machine token, want one")
	}
	if err := v.checkAuthAge(c, now); err != nil {
		return err
	}
	if len(v.acr) > 0 {
		if msg := acrMismatch(c.ACR, v.acr); msg != "" {
			return reject(ErrACR, "%s", msg)
		}
	}
	if len(v.rules) > 0 {
		return checkClaimRules(c.raw, v.rules)
	}
	return nil
}

// checkAuthAge applies MaxAuthAge, on every verification and every cache
// hit: unlike the other rules its answer changes with time.
func (v *Verifier) checkAuthAge(c *Claims, now time.Time) error {
	if v.maxAuthAge <= 0 {
		return nil
	}
	if msg := authTooOld(c.AuthTime, now, v.maxAuthAge); msg != "" {
		return reject(ErrAuthAge, "%s", msg)
	}
	return nil
}

// authTooOld says why a sign-in at authTime is older than max at now, or
// "". An absent auth_time (the zero time) is older than any max. A future
// auth_time is a clock difference and counts as fresh: Cognito signed it.
func authTooOld(authTime, now time.Time, max time.Duration) string {
	age := now.Sub(authTime)
	switch {
	case age <= max:
		return ""
	case authTime.IsZero():
		return "auth_time is missing"
	}
	return fmt.Sprintf("signed in at %s, %v ago, more than %v", authTime.UTC().Format(time.RFC3339), age.Round(time.Second), max)
}

// clockedVerifier is a TokenVerifier whose clock a route rule on
// auth_time uses, so that it judges the time as the verifier did.
type clockedVerifier interface {
	clock(c *Claims) time.Time
}

func (v *Verifier) clock(*Claims) time.Time { return v.now() }

func (m *MultiVerifier) clock(c *Claims) time.Time {
	if r := m.load(c.Issuer); r != nil {
		return r.p.v.now()
	}
	return m.now()
}

// acrMismatch says why acr ("": absent) is not one of want (never
// empty strings), or "".
func acrMismatch(acr string, want []string) string {
	switch {
	case slices.Contains(want, acr):
		return ""
	case acr == "":
		return fmt.Sprintf("acr is missing, want one of %q", want)
	}
	return fmt.Sprintf("acr %q is not one of %q", truncate(acr), want)
}

// runCheck calls Config.Check on c. Its error is a rejection, unless it
// says the check could not decide.
func (v *Verifier) runCheck(ctx context.Context, c *Claims) error {
	err := v.check(ctx, c)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrKeysUnavailable), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("cognito: claims check could not decide: %w", err)
	}
	return &checkError{TokenError{Reason: ErrCheck, Detail: err.Error()}, err}
}

// claimValue is a claim as a rule sees it.
type claimValue struct {
	kind byte // 0: absent or null; 's': a string; 'a': an array of strings; 'x': anything else
	s    string
	list []string
}

// checkClaimRules applies rules to the payload (already verified and
// proved well formed by scanClaims) in one pass over it.
func checkClaimRules(raw string, rules []ClaimRule) error {
	var inline [4]claimValue
	found := inline[:0]
	if len(rules) > len(inline) {
		found = make([]claimValue, 0, len(rules))
	}
	found = found[:len(rules)]
	d := scanner{s: raw}
	d.ws()
	err := d.object(func(name string) error {
		match := false
		for _, r := range rules {
			if r.Name == name {
				match = true
				break
			}
		}
		if !match {
			return d.skip(1)
		}
		val, err := d.claimValue()
		if err != nil {
			return err
		}
		for i, r := range rules {
			if r.Name == name {
				found[i] = val
			}
		}
		return nil
	})
	if err != nil {
		return reject(ErrMalformed, "payload: %v", err)
	}
	for i, r := range rules {
		if msg := r.fails(&found[i]); msg != "" {
			return reject(ErrClaimRule, "%s", msg)
		}
	}
	return nil
}

// claimValue decodes the value at d.i for a rule.
func (d *scanner) claimValue() (claimValue, error) {
	start := d.i
	switch d.peek() {
	case '"':
		s, err := d.str()
		return claimValue{kind: 's', s: s}, err
	case 'n':
		return claimValue{}, d.must(d.literal("null"))
	case '[':
		var list []string
		d.i++
		d.ws()
		if d.peek() == ']' {
			d.i++
			return claimValue{kind: 'a'}, nil
		}
		for {
			d.ws()
			if d.peek() != '"' {
				break // not an array of strings: skipped whole below
			}
			s, err := d.str()
			if err != nil {
				return claimValue{}, err
			}
			list = append(list, s)
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
				continue
			case ']':
				d.i++
				return claimValue{kind: 'a', list: list}, nil
			}
			return claimValue{}, errSyntax
		}
	}
	d.i = start
	return claimValue{kind: 'x'}, d.skip(1)
}

// meets reports whether the claim's value v meets the rule. Values are
// never empty, so an absent claim or another JSON type (s and list
// empty) never meets one.
func (r *ClaimRule) meets(v *claimValue) bool {
	switch r.Format {
	case SingleString:
		return v.kind == 's' && slices.Contains(r.Values, v.s)
	case StringArray:
		return v.kind == 'a' && anyOf(r.Values, v.list)
	}
	for rest := v.s; v.kind == 's' && rest != ""; {
		var f string
		f, rest, _ = strings.Cut(rest, " ")
		if f != "" && slices.Contains(r.Values, f) {
			return true
		}
	}
	return false
}

// fails says why the claim's value v breaks the rule, or "".
func (r *ClaimRule) fails(v *claimValue) string {
	if r.meets(v) {
		return ""
	}
	want := "a string"
	if r.Format == StringArray {
		want = "an array of strings"
	}
	switch {
	case v.kind == 0:
		return fmt.Sprintf("claim %q is missing, want %s holding one of %q", truncate(r.Name), want, r.Values)
	case (r.Format == StringArray) != (v.kind == 'a') || v.kind == 'x':
		return fmt.Sprintf("claim %q is not %s", truncate(r.Name), want)
	case r.Format == SingleString:
		return fmt.Sprintf("claim %q is %q, not one of %q", truncate(r.Name), truncate(v.s), r.Values)
	}
	return fmt.Sprintf("claim %q holds none of %q", truncate(r.Name), r.Values)
}
