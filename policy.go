package cognito

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// PolicyVersion is the IAM policy language version of every policy built.
const PolicyVersion = "2012-10-17"

// ErrPolicy is wrapped by every error of [AuthPolicy.Build].
var ErrPolicy = errors.New("cognito: invalid authorizer policy")

// AuthorizerResponse is a Lambda authorizer's answer to API Gateway (REST
// APIs, and HTTP APIs with IAM policy responses). Its JSON is exactly the
// wire shape API Gateway expects, and the same as aws-lambda-go's
// events.APIGatewayCustomAuthorizerResponse, plus Condition.
type AuthorizerResponse struct {
	PrincipalID        string         `json:"principalId"`
	PolicyDocument     PolicyDocument `json:"policyDocument"`
	Context            map[string]any `json:"context,omitempty"`
	UsageIdentifierKey string         `json:"usageIdentifierKey,omitempty"`
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one IAM statement over execute-api:Invoke.
type PolicyStatement struct {
	Action    []string   `json:"Action"`
	Effect    string     `json:"Effect"`
	Resource  []string   `json:"Resource"`
	Condition Conditions `json:"Condition,omitempty"`
}

// Conditions is an IAM Condition block: operator → condition key → value
// or values, such as {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}.
type Conditions map[string]map[string]any

// SimpleResponse is an HTTP API (payload 2.0) Lambda authorizer's "simple
// response": API Gateway allows the request when IsAuthorized is true.
type SimpleResponse struct {
	IsAuthorized bool           `json:"isAuthorized"`
	Context      map[string]any `json:"context,omitempty"`
}

type policyEntry struct {
	arn        string
	conditions Conditions
}

// AuthPolicy builds an [AuthorizerResponse] for one principal and one API
// stage. Its methods validate their input and record the first error, which
// [AuthPolicy.Build] returns, so calls chain:
//
//	resp, err := cognito.NewAuthPolicy(claims.Subject, arn).AllowAllMethods().Build()
//
// An AuthPolicy is not safe for concurrent use; build one per request.
type AuthPolicy struct {
	principalID string
	arn         MethodARN
	allow, deny []policyEntry
	context     map[string]any
	usageKey    string
	err         error
}

// NewAuthPolicy starts a policy for principalID over the API, stage, region,
// account and partition of arn (the authorizer's methodArn, from
// [ParseMethodARN]). An arn that ParseMethodARN would not return, such as
// the zero MethodARN left by an ignored parse error, makes Build fail.
func NewAuthPolicy(principalID string, arn MethodARN) *AuthPolicy {
	p := &AuthPolicy{principalID: principalID, arn: arn}
	if principalID == "" {
		p.fail("principal ID is empty")
	}
	return p
}

// NewAuthPolicyFromClaims starts a policy whose principal is the token's
// sub and whose context carries the claims for the backend, which reads them
// as $context.authorizer.{key} (REST mapping templates) or
// requestContext.authorizer.{key} (Lambda proxy integrations):
//
//	sub, username, token_use, client_id, iss   the claim's string ("" when absent)
//	groups, scopes, aud                        a JSON array of strings as text: ["readers,admin","x"], [] when absent
//
// It allows nothing yet:
//
//	resp, err := cognito.NewAuthPolicyFromClaims(claims, arn).AllowAllMethods().Build()
func NewAuthPolicyFromClaims(c *Claims, arn MethodARN) *AuthPolicy {
	if c == nil {
		p := &AuthPolicy{arn: arn}
		p.fail("claims are nil")
		return p
	}
	p := NewAuthPolicy(c.Subject, arn)
	p.context = claimsContext(c)
	return p
}

// NewSimpleResponse returns the HTTP API simple response for verified
// claims: authorized, with the same context as [NewAuthPolicyFromClaims].
// For nil claims it returns an unauthorized response.
func NewSimpleResponse(c *Claims) SimpleResponse {
	if c == nil {
		return SimpleResponse{}
	}
	return SimpleResponse{IsAuthorized: true, Context: claimsContext(c)}
}

// claimsContext is the authorizer context of verified claims. API Gateway
// takes only strings, numbers and booleans there, so a list travels as the
// text of a JSON array of strings: unlike a comma-joined string, it keeps a
// group named "readers,admin" apart from the groups "readers" and "admin".
// Every key is always present ("" or "[]" when the token has no such claim),
// so a backend never confuses an absent claim with a missing context.
func claimsContext(c *Claims) map[string]any {
	return map[string]any{
		"sub":       c.Subject,
		"username":  c.Username,
		"token_use": string(c.TokenUse),
		"client_id": c.ClientID,
		"iss":       c.Issuer,
		"groups":    jsonList(c.Groups),
		"scopes":    jsonList(c.Scopes),
		"aud":       jsonList(c.Audience),
		"acr":       c.ACR,
		"amr":       jsonList(c.AMR),
	}
}

// jsonList returns list as the text of a JSON array of strings; nil is "[]".
// HTML characters are kept as they are: the text is data, never markup.
func jsonList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(list) // a []string into a strings.Builder cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

func (p *AuthPolicy) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: "+format, append([]any{ErrPolicy}, args...)...)
	}
}

// AllowAllMethods allows every method and resource of the API stage.
func (p *AuthPolicy) AllowAllMethods() *AuthPolicy { return p.add("Allow", AllMethods, "*", nil) }

// DenyAllMethods denies every method and resource of the API stage.
func (p *AuthPolicy) DenyAllMethods() *AuthPolicy { return p.add("Deny", AllMethods, "*", nil) }

// AllowMethod allows verb (GET, POST, PUT, PATCH, HEAD, DELETE, OPTIONS or
// [AllMethods]) on resource (a path; the leading slash is optional and "*"
// is a wildcard).
func (p *AuthPolicy) AllowMethod(verb, resource string) *AuthPolicy {
	return p.add("Allow", verb, resource, nil)
}

// DenyMethod denies verb on resource; see [AuthPolicy.AllowMethod].
func (p *AuthPolicy) DenyMethod(verb, resource string) *AuthPolicy {
	return p.add("Deny", verb, resource, nil)
}

// AllowMethodWithConditions allows verb on resource when the IAM conditions
// hold; it gets a statement of its own.
func (p *AuthPolicy) AllowMethodWithConditions(verb, resource string, conditions Conditions) *AuthPolicy {
	return p.addConditional("Allow", verb, resource, conditions)
}

// DenyMethodWithConditions denies verb on resource when the IAM conditions
// hold; it gets a statement of its own.
func (p *AuthPolicy) DenyMethodWithConditions(verb, resource string, conditions Conditions) *AuthPolicy {
	return p.addConditional("Deny", verb, resource, conditions)
}

func (p *AuthPolicy) addConditional(effect, verb, resource string, conditions Conditions) *AuthPolicy {
	if len(conditions) == 0 {
		p.fail("%s %s %s: conditions are empty", effect, verb, resource)
		return p
	}
	for op, keys := range conditions {
		if op == "" || len(keys) == 0 {
			p.fail("%s %s %s: condition operator %q has no keys", effect, verb, resource, op)
			return p
		}
		for k := range keys {
			if k == "" {
				p.fail("%s %s %s: condition operator %q has an empty key", effect, verb, resource, op)
				return p
			}
		}
	}
	return p.add(effect, verb, resource, conditions)
}

func (p *AuthPolicy) add(effect, verb, resource string, conditions Conditions) *AuthPolicy {
	arn, err := p.arn.For(verb, resource)
	if err != nil {
		if p.err == nil {
			p.err = fmt.Errorf("%w: %s %s %s: %w", ErrPolicy, effect, verb, resource, err)
		}
		return p
	}
	e := policyEntry{arn: arn.String(), conditions: conditions}
	if effect == "Allow" {
		p.allow = append(p.allow, e)
	} else {
		p.deny = append(p.deny, e)
	}
	return p
}

// WithContext adds key to the response context. API Gateway accepts only
// strings, numbers and booleans there; other values make Build fail.
func (p *AuthPolicy) WithContext(key string, value any) *AuthPolicy {
	if key == "" {
		p.fail("context key is empty")
		return p
	}
	if err := checkContextValue(value); err != nil {
		p.fail("context %q: %v", key, err)
		return p
	}
	if p.context == nil {
		p.context = make(map[string]any)
	}
	p.context[key] = value
	return p
}

func checkContextValue(v any) error {
	switch x := v.(type) {
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.New("NaN and infinities are not JSON numbers")
		}
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("NaN and infinities are not JSON numbers")
		}
		return nil
	}
	return fmt.Errorf("%T is not a string, number or boolean", v)
}

// WithUsageIdentifierKey sets the API key for usage plans whose key source
// is AUTHORIZER.
func (p *AuthPolicy) WithUsageIdentifierKey(key string) *AuthPolicy {
	p.usageKey = key
	return p
}

// Build returns the response (context values were checked as they were
// added): Allow statements before Deny, the
// unconditioned resources of one effect grouped in one statement, and one
// statement per conditioned resource. It fails on the first invalid call
// and on a policy with no statement.
func (p *AuthPolicy) Build() (AuthorizerResponse, error) {
	if p.err != nil {
		return AuthorizerResponse{}, p.err
	}
	if len(p.allow) == 0 && len(p.deny) == 0 {
		return AuthorizerResponse{}, fmt.Errorf("%w: no statement (call AllowMethod, DenyMethod, AllowAllMethods…)", ErrPolicy)
	}
	var stmts []PolicyStatement
	stmts = appendStatements(stmts, "Allow", p.allow)
	stmts = appendStatements(stmts, "Deny", p.deny)
	resp := AuthorizerResponse{
		PrincipalID:        p.principalID,
		PolicyDocument:     PolicyDocument{Version: PolicyVersion, Statement: stmts},
		UsageIdentifierKey: p.usageKey,
	}
	if len(p.context) > 0 {
		resp.Context = make(map[string]any, len(p.context))
		for k, v := range p.context {
			resp.Context[k] = v
		}
	}
	return resp, nil
}

func appendStatements(stmts []PolicyStatement, effect string, entries []policyEntry) []PolicyStatement {
	var plain []string
	seen := map[string]bool{}
	for _, e := range entries {
		if e.conditions == nil && !seen[e.arn] {
			seen[e.arn] = true
			plain = append(plain, e.arn)
		}
	}
	if len(plain) > 0 {
		stmts = append(stmts, statement(effect, plain, nil))
	}
	for _, e := range entries {
		if e.conditions != nil {
			stmts = append(stmts, statement(effect, []string{e.arn}, e.conditions))
		}
	}
	return stmts
}

func statement(effect string, resources []string, c Conditions) PolicyStatement {
	return PolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: resources, Condition: c}
}
