package cognito

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MaxMethodARNBytes is the longest method ARN API Gateway accepts for an
// authorization-enabled method.
const MaxMethodARNBytes = 1600

// AllMethods is the verb that matches every HTTP method in a policy.
const AllMethods = "*"

// ErrMethodARN is wrapped by every error of [ParseMethodARN] and of the
// [MethodARN] helpers.
var ErrMethodARN = errors.New("cognito: invalid method ARN")

var (
	partitionPattern = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	apiIDPattern     = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	stagePattern     = regexp.MustCompile(`^(\$default|[A-Za-z0-9_-]+)$`)
)

// MethodARN is an API Gateway execute-api ARN, as an authorizer receives it
// in methodArn (REST APIs) or routeArn (HTTP APIs):
//
//	arn:{Partition}:execute-api:{Region}:{AccountID}:{APIID}/{Stage}/{Method}{Resource}
//
// Resource always starts with "/": "/" is the root resource, "/*" every
// resource. A MethodARN is a plain value, safe to copy and share.
type MethodARN struct {
	Partition string // aws, aws-cn, aws-us-gov, …
	Region    string // us-east-1
	AccountID string // 12 digits
	APIID     string // the REST or HTTP API ID
	Stage     string // prod, $default, …
	Method    string // GET, POST, PUT, PATCH, HEAD, DELETE, OPTIONS, or * for all
	Resource  string // /notes/123, / for the root, /* for all
}

func arnError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMethodARN}, args...)...)
}

// ParseMethodARN parses and validates an execute-api method ARN. Every
// malformed input is an error wrapping [ErrMethodARN] that says what is wrong.
//
// The ARN names one method of one stage, as API Gateway sends it: an IAM
// wildcard character (* or ?) anywhere in it is an error, so that a value
// taken from an event can never widen a policy built on it (a stage "*" would
// allow every stage of the API). The policy builders add their own
// wildcards ([MethodARN.Wildcard], [AuthPolicy.AllowAllMethods]).
func ParseMethodARN(s string) (MethodARN, error) {
	var a MethodARN
	if len(s) > MaxMethodARNBytes {
		return MethodARN{}, arnError("%d bytes, API Gateway's limit is %d", len(s), MaxMethodARNBytes)
	}
	if i := strings.IndexAny(s, "*?"); i >= 0 {
		return MethodARN{}, arnError("IAM wildcard %q at offset %d: an ARN from an event names one method of one stage", s[i:i+1], i)
	}
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" {
		return MethodARN{}, arnError("%q is not arn:{partition}:execute-api:{region}:{account}:{api}/{stage}/{method}/{resource}", truncate(s))
	}
	if f[2] != "execute-api" {
		return MethodARN{}, arnError("service %q, want execute-api", truncate(f[2]))
	}
	a.Partition, a.Region, a.AccountID = f[1], f[3], f[4]
	if !partitionPattern.MatchString(a.Partition) {
		return MethodARN{}, arnError("partition %q is not aws, aws-cn, aws-us-gov or another aws-* partition", truncate(a.Partition))
	}
	if !regionPattern.MatchString(a.Region) {
		return MethodARN{}, arnError("region %q is not a region such as us-east-1", truncate(a.Region))
	}
	if a.AccountID == "" {
		return MethodARN{}, arnError("account ID is empty")
	}
	if !accountPattern.MatchString(a.AccountID) {
		return MethodARN{}, arnError("account ID %q is not 12 digits", truncate(a.AccountID))
	}
	api, rest, ok := strings.Cut(f[5], "/")
	if !ok {
		return MethodARN{}, arnError("no stage after the API ID")
	}
	a.APIID = api
	if !apiIDPattern.MatchString(a.APIID) {
		return MethodARN{}, arnError("API ID %q is not alphanumeric", truncate(a.APIID))
	}
	a.Stage, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return MethodARN{}, arnError("no method after the stage")
	}
	if !stagePattern.MatchString(a.Stage) {
		return MethodARN{}, arnError("stage %q has characters API Gateway does not allow", truncate(a.Stage))
	}
	a.Method, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return MethodARN{}, arnError("no resource path after the method (the root resource is %s/)", truncate(a.Method))
	}
	if !validVerb(a.Method) {
		return MethodARN{}, arnError("method %q is not GET, POST, PUT, PATCH, HEAD, DELETE or OPTIONS", truncate(a.Method))
	}
	a.Resource = "/" + rest
	for i := 0; i < len(a.Resource); i++ {
		if c := a.Resource[i]; c <= ' ' || c == 0x7f {
			return MethodARN{}, arnError("resource path has a control or space character at offset %d", i)
		}
	}
	return a, nil
}

// checkBase validates the fields a policy keeps from the ARN: partition,
// region, account, API and stage, by the rules of [ParseMethodARN].
func (a MethodARN) checkBase() error {
	if a == (MethodARN{}) {
		return arnError("the zero MethodARN names no API (was a ParseMethodARN error ignored?)")
	}
	switch {
	case !partitionPattern.MatchString(a.Partition):
		return arnError("partition %q is not aws, aws-cn, aws-us-gov or another aws-* partition", truncate(a.Partition))
	case !regionPattern.MatchString(a.Region):
		return arnError("region %q is not a region such as us-east-1", truncate(a.Region))
	case !accountPattern.MatchString(a.AccountID):
		return arnError("account ID %q is not 12 digits", truncate(a.AccountID))
	case !apiIDPattern.MatchString(a.APIID):
		return arnError("API ID %q is not alphanumeric", truncate(a.APIID))
	case !stagePattern.MatchString(a.Stage):
		return arnError("stage %q is not a stage name (wildcards are not accepted)", truncate(a.Stage))
	}
	return nil
}

func validVerb(v string) bool {
	switch v {
	case "GET", "POST", "PUT", "PATCH", "HEAD", "DELETE", "OPTIONS", AllMethods:
		return true
	}
	return false
}

// String returns the ARN in API Gateway's form; it round-trips through
// [ParseMethodARN].
func (a MethodARN) String() string {
	return "arn:" + a.Partition + ":execute-api:" + a.Region + ":" + a.AccountID + ":" +
		a.APIID + "/" + a.Stage + "/" + a.Method + a.Resource
}

// For returns the ARN of another method and resource of the same API and
// stage. verb is an HTTP method or [AllMethods]; resource is a path with an
// optional leading slash, where "*" matches any sequence of characters.
//
// For fails on a receiver that [ParseMethodARN] would not have returned
// (the zero MethodARN, a field set by hand to a wildcard or left empty): a
// policy is only ever built on the API and stage of a real method ARN.
func (a MethodARN) For(verb, resource string) (MethodARN, error) {
	if err := a.checkBase(); err != nil {
		return MethodARN{}, err
	}
	if !validVerb(verb) {
		return MethodARN{}, arnError("method %q is not GET, POST, PUT, PATCH, HEAD, DELETE, OPTIONS or *", truncate(verb))
	}
	path, err := cleanResource(resource)
	if err != nil {
		return MethodARN{}, err
	}
	b := a
	b.Method, b.Resource = verb, path
	if s := b.String(); len(s) > MaxMethodARNBytes {
		return MethodARN{}, arnError("%d bytes, API Gateway's limit is %d", len(s), MaxMethodARNBytes)
	}
	return b, nil
}

// Wildcard returns the ARN of every method and resource of the API stage,
// {stage}/*/*: the one to allow when API Gateway caches the authorizer's
// answer for a token across methods.
func (a MethodARN) Wildcard() MethodARN {
	a.Method, a.Resource = AllMethods, "/*"
	return a
}

// cleanResource validates a policy resource path and returns it with one
// leading slash. It accepts what API Gateway resource paths are made of
// (letters, digits, - _ . ~ and %XX escapes between slashes) and * wildcards;
// it rejects {templates}, empty segments, dot segments and anything else.
func cleanResource(r string) (string, error) {
	p := strings.TrimPrefix(r, "/")
	if p == "" {
		return "/", nil
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if seg == "" {
			if i == len(segs)-1 {
				continue // a trailing slash
			}
			return "", arnError("resource %q has an empty path segment", truncate(r))
		}
		if seg == "." || seg == ".." {
			return "", arnError("resource %q has a dot segment", truncate(r))
		}
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
				c == '-', c == '_', c == '.', c == '~', c == '*':
			case c == '%' && j+2 < len(seg) && isHex(seg[j+1]) && isHex(seg[j+2]):
				j += 2
			default:
				return "", arnError("resource %q has %q, which a resource path cannot hold", truncate(r), string(c))
			}
		}
	}
	return "/" + p, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
