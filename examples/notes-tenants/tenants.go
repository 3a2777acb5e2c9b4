package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/cognito-verify/cognito"
)

// Tenant is a row of the tenant table: a tenant's user pool and the app
// clients whose access tokens the Notes API accepts.
type Tenant struct {
	Name       string   `json:"name"`
	UserPoolID string   `json:"user_pool_id"`
	ClientIDs  []string `json:"client_ids"`
	JWKSURL    string   `json:"jwks_url,omitempty"` // for a local fake pool only; Cognito's is derived
}

// Table is the tenant table: a JSON file {"tenants": [...]}, read on every
// lookup as a database would be queried, so that tenants added or removed
// take effect without a restart (within the verifier's answer lifetimes).
type Table struct{ Path string }

// load reads the table.
func (t Table) load() ([]Tenant, error) {
	data, err := os.ReadFile(t.Path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Tenants []Tenant `json:"tenants"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("tenant table %s: %w", t.Path, err)
	}
	return doc.Tenants, nil
}

// Resolve is the table as a cognito.Resolver: the pool of the tenant whose
// issuer the token names. A table it cannot read is an error (the API
// answers 500), never "not a tenant".
func (t Table) Resolve(_ context.Context, issuer string) (cognito.Config, bool, error) {
	tenants, err := t.load()
	if err != nil {
		return cognito.Config{}, false, err
	}
	for _, tn := range tenants {
		region, _, _ := strings.Cut(tn.UserPoolID, "_")
		if issuer == "https://cognito-idp."+region+".amazonaws.com/"+tn.UserPoolID {
			return cognito.Config{
				UserPoolID: tn.UserPoolID,
				ClientIDs:  tn.ClientIDs,
				TokenUse:   cognito.AccessToken,
				JWKSURL:    tn.JWKSURL,
			}, true, nil
		}
	}
	return cognito.Config{}, false, nil
}

// TenantUser is the notes.UserFunc of a multi-tenant service. A sub is
// unique only within its pool, so a user's notes are kept under the
// verified issuer and sub together.
func TenantUser(r *http.Request) (string, bool) {
	c, ok := cognito.ClaimsFromContext(r.Context())
	if !ok || c.Issuer == "" || c.Subject == "" {
		return "", false
	}
	return c.Issuer + " " + c.Subject, true
}
