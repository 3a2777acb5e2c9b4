module github.com/cognito-verify/cognito/examples

go 1.26.0

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/cognito-verify/cognito v0.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.25.0 // indirect
)

replace github.com/cognito-verify/cognito => ../
