package cognito

// Test-only exports for the external test package.

// RefPayload is the reference decoder's result.
type RefPayload = refPayload

// DecodeReference is the go-jose-based reference claims decoder.
var DecodeReference = decodeReference

// CacheHits returns how many Verify calls found their token in v's
// verified-token cache.
func CacheHits(v *Verifier) uint64 { return v.cache.hitCount() }
