module github.com/cognito-verify/cognito

go 1.26.0

require (
	github.com/go-jose/go-jose/v4 v4.1.9
	golang.org/x/sync v0.25.0
)
