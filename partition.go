package cognito

import (
	"fmt"
	"regexp"
)

// This file maps a user pool ID to the issuer and key-set hosts that can be
// derived from it. A derived URL that is wrong is an outage nobody sees
// coming (every token rejected, or keys fetched from a host that never
// answers), so hosts are derived only where AWS documents them, and every
// other pool ID needs Config.Issuer.
//
// What is documented, and where:
//
//   - aws (commercial regions): the original issuer
//     https://cognito-idp.{region}.amazonaws.com/{pool} and the updated one
//     https://issuer-cognito-idp.{region}.amazonaws.com/{pool}, region being
//     the pool's primary region (Cognito API reference,
//     IssuerConfigurationType); keys at {issuer}/.well-known/jwks.json.
//   - aws-us-gov: AWS documents only FIPS API endpoints
//     (cognito-idp-fips.us-gov-west-1.amazonaws.com; GovCloud user guide,
//     "Amazon Cognito in AWS GovCloud (US)"), not the iss of tokens.
//     aws-jwt-verify derives https://cognito-idp.{region}.amazonaws.com/{pool}
//     for GovCloud pools, and GovCloud applications name their pools so as
//     identity-pool providers (cognito-idp.us-gov-west-1.amazonaws.com/{pool},
//     which must equal the token's iss). This verifier derives that original
//     form, as it always has, and nothing else: not the updated form, not
//     replica regions. A GovCloud pool whose tokens carry another iss needs
//     Config.Issuer.
//   - aws-cn (amazonaws.com.cn), aws-eusc (amazonaws.eu), aws-iso*: no
//     Cognito issuer host is documented (the China Regions' notes say user
//     pools are not available in Beijing; aws-jwt-verify 5.2 accepts
//     eusc-de-east-1 pool IDs but derives amazonaws.com hosts for them).
//     Their pool IDs are accepted, with Config.Issuer required.
//
// The region patterns are those of the AWS SDKs' partition metadata
// (aws-sdk-js-v3 util-endpoints partitions.json).

// partition is an AWS partition as far as Cognito issuers go.
type partition struct {
	name    string
	regions *regexp.Regexp
	// original: the cognito-idp.{region}.amazonaws.com issuer is derived;
	// updated: the issuer-cognito-idp form and replica regions are too.
	original, updated bool
}

var partitions = []partition{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d{1,2}$`), true, true},
	{"aws-us-gov", regexp.MustCompile(`^us-gov-[a-z]+-\d{1,2}$`), true, false},
	{"aws-cn", regexp.MustCompile(`^cn-[a-z]+-\d{1,2}$`), false, false},
	{"aws-eusc", regexp.MustCompile(`^eusc-de-[a-z]+-\d{1,2}$`), false, false},
	{"aws-iso", regexp.MustCompile(`^us-iso-[a-z]+-\d{1,2}$`), false, false},
	{"aws-iso-b", regexp.MustCompile(`^us-isob-[a-z]+-\d{1,2}$`), false, false},
	{"aws-iso-e", regexp.MustCompile(`^eu-isoe-[a-z]+-\d{1,2}$`), false, false},
	{"aws-iso-f", regexp.MustCompile(`^us-isof-[a-z]+-\d{1,2}$`), false, false},
}

// poolIDPattern is the form of a Cognito user pool ID in any partition:
// the region, an underscore, letters and digits.
var poolIDPattern = regexp.MustCompile(`^([a-z]{2,4}(-[a-z]+){1,2}-\d{1,2})_[A-Za-z0-9]+$`)

// partitionOf returns the partition of region, or nil.
func partitionOf(region string) *partition {
	for i := range partitions {
		if partitions[i].regions.MatchString(region) {
			return &partitions[i]
		}
	}
	return nil
}

// poolIssuer checks a pool ID and returns its region, partition and
// derived original issuer; with no documented issuer host the error says
// to set Issuer.
func poolIssuer(poolID string) (region string, p *partition, issuer string, err error) {
	m := poolIDPattern.FindStringSubmatch(poolID)
	if m == nil {
		return "", nil, "", fmt.Errorf("UserPoolID %q is not a Cognito user pool ID such as us-east-1_AbC123xyz", poolID)
	}
	region = m[1]
	if p = partitionOf(region); p == nil {
		return "", nil, "", fmt.Errorf("UserPoolID %q: region %q is in no AWS partition known here, so its issuer cannot be derived: set Issuer to the iss of the pool's tokens (and JWKSURL unless the keys are at {Issuer}/.well-known/jwks.json)", poolID, region)
	}
	if !p.original {
		return "", nil, "", fmt.Errorf("UserPoolID %q is in the %s partition, for which AWS documents no Cognito issuer host: set Issuer to the iss of the pool's tokens (and JWKSURL unless the keys are at {Issuer}/.well-known/jwks.json)", poolID, p.name)
	}
	return region, p, cognitoIssuer("cognito-idp", region, poolID), nil
}

// cognitoIssuer returns a Cognito issuer URL of the aws partition: host is
// cognito-idp, or issuer-cognito-idp for the updated form.
func cognitoIssuer(host, region, poolID string) string {
	return "https://" + host + "." + region + ".amazonaws.com/" + poolID
}

// checkReplica checks a replica region of a pool in partition home. The
// anchored region patterns admit nothing but letters, digits and dashes.
func checkReplica(r string, home *partition) error {
	p := partitionOf(r)
	switch {
	case p == nil:
		return fmt.Errorf("%q is not a region such as eu-west-1", r)
	case p != home:
		return fmt.Errorf("%q is in the %s partition, the pool in %s", r, p.name, home.name)
	}
	return nil
}
