package cognito

// Test-only exports for the external test package.

// RefPayload is the reference decoder's result.
type RefPayload = refPayload

// DecodeReference is the go-jose-based reference claims decoder.
var DecodeReference = decodeReference
