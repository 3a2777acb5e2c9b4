// Package localaws sets up the seed's system on local stand-ins for AWS,
// through the AWS SDK for Go exactly as against AWS: a user pool, app
// client and user on cognito-local (a Cognito emulator), and the Notes
// table on dynalite (a DynamoDB-compatible server). notes-local and the
// end-to-end tests use it.
package localaws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/cognito-verify/cognito/envconfig"
)

// Region and dummy credentials: the emulators need some, and check none.
const (
	Region    = "us-east-1"
	AccessKey = "local"
	SecretKey = "local"
)

// Pool is a user pool and app client on cognito-local.
type Pool struct {
	Endpoint string // cognito-local's base URL, http://127.0.0.1:9229
	PoolID   string // local_…
	ClientID string
	client   *cip.Client
}

// Issuer is the iss of the pool's tokens. cognito-local builds it from its
// TokenConfig.IssuerDomain setting, which must be the endpoint.
func (p *Pool) Issuer() string { return p.Endpoint + "/" + p.PoolID }

// JWKSURL is where cognito-local serves the pool's key set.
func (p *Pool) JWKSURL() string { return p.Issuer() + "/.well-known/jwks.json" }

// Environ returns the COGNITO_ variables that make a program verify the
// pool's access tokens (package envconfig).
func (p *Pool) Environ() []string {
	return []string{
		envconfig.PoolID + "=" + p.PoolID,
		envconfig.ClientIDs + "=" + p.ClientID,
		envconfig.Issuer + "=" + p.Issuer(),
		envconfig.JWKSURL + "=" + p.JWKSURL(),
	}
}

// Client returns a Cognito client for cognito-local at endpoint.
func Client(endpoint string) *cip.Client {
	return cip.New(cip.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// CreatePool creates a user pool named name whose users sign in with their
// email address, and an app client allowing USER_PASSWORD_AUTH, on
// cognito-local at endpoint.
func CreatePool(ctx context.Context, endpoint, name string) (*Pool, error) {
	c := Client(endpoint)
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:           aws.String(name),
		UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the user pool on %s: %w", endpoint, err)
	}
	if pool.UserPool == nil || pool.UserPool.Id == nil {
		return nil, errors.New("CreateUserPool returned no pool ID")
	}
	p := &Pool{Endpoint: endpoint, PoolID: *pool.UserPool.Id, client: c}
	if p.ClientID, err = p.CreateClient(ctx, name+"-app", 60); err != nil {
		return nil, err
	}
	return p, nil
}

// CreateClient creates an app client allowing USER_PASSWORD_AUTH whose
// access and ID tokens are valid for the given minutes (0: they expire as
// they are issued).
func (p *Pool) CreateClient(ctx context.Context, name string, minutes int32) (string, error) {
	out, err := p.client.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:                 aws.String(p.PoolID),
		ClientName:                 aws.String(name),
		ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		AccessTokenValidity:        aws.Int32(minutes),
		IdTokenValidity:            aws.Int32(minutes),
		TokenValidityUnits: &types.TokenValidityUnitsType{
			AccessToken: types.TimeUnitsTypeMinutes,
			IdToken:     types.TimeUnitsTypeMinutes,
		},
	})
	if err != nil {
		return "", fmt.Errorf("creating an app client: %w", err)
	}
	if out.UserPoolClient == nil || out.UserPoolClient.ClientId == nil {
		return "", errors.New("CreateUserPoolClient returned no client ID")
	}
	return *out.UserPoolClient.ClientId, nil
}

// SignUp signs a user up with the app client, as the user's app would, and
// confirms them as an administrator would (cognito-local sends no email).
// It returns the user's sub.
func (p *Pool) SignUp(ctx context.Context, email, password string) (string, error) {
	up, err := p.client.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(p.ClientID),
		Username: aws.String(email),
		Password: aws.String(password),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
		},
	})
	if err != nil {
		return "", fmt.Errorf("signing up %s: %w", email, err)
	}
	if _, err := p.client.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{
		UserPoolId: aws.String(p.PoolID), Username: aws.String(email),
	}); err != nil {
		return "", fmt.Errorf("confirming %s: %w", email, err)
	}
	if up.UserSub == nil || *up.UserSub == "" {
		return "", errors.New("SignUp returned no user sub")
	}
	return *up.UserSub, nil
}

// Tokens are what a sign-in returns.
type Tokens struct{ Access, ID string }

// SignIn signs the user in through clientID (the pool's client when empty)
// with USER_PASSWORD_AUTH.
func (p *Pool) SignIn(ctx context.Context, clientID, email, password string) (Tokens, error) {
	if clientID == "" {
		clientID = p.ClientID
	}
	out, err := p.client.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       aws.String(clientID),
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("signing in %s: %w", email, err)
	}
	r := out.AuthenticationResult
	if r == nil || r.AccessToken == nil || r.IdToken == nil {
		return Tokens{}, fmt.Errorf("signing in %s: no tokens (challenge %q)", email, out.ChallengeName)
	}
	return Tokens{Access: *r.AccessToken, ID: *r.IdToken}, nil
}
