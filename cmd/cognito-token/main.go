// Command cognito-token inspects and verifies Amazon Cognito user pool
// tokens, and downloads a pool's key set, with the checks of
// github.com/cognito-verify/cognito.
//
//	go install github.com/cognito-verify/cognito/cmd/cognito-token@latest
//
//	cognito-token inspect [-pool ID -client ID -token-use access|id] < token
//	cognito-token verify -pool ID -client ID -token-use access|id < token
//	cognito-token jwks -pool ID -o jwks.json
//
// inspect decodes a token without verifying it: header, claims, times as
// dates and relative to now, and, given a pool, every check a verifier
// would refuse it for, in the library's words. verify verifies it against
// the pool's live key set, or a saved one (-jwks FILE), and prints the
// verified claims or the exact reason. jwks downloads a pool's key set,
// validates it with the library's parser and saves it, for
// COGNITO_JWKS_FILE or Config.JWKS.
//
// The token is read from standard input, or from -token-file: a token on
// the command line would land in the shell's history. It is never sent
// anywhere; only the key set is fetched. Output is for people; -json gives
// one JSON object for scripts.
//
// Exit status: 0 valid (inspect: no check fails; jwks: saved), 1 rejected
// (the token or the key set), 2 could not decide (keys unavailable, bad
// usage, unreadable input).
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
