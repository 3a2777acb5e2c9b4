#!/usr/bin/env bash
# Benchmarks this library against its Go peers on one token, writes
# results.txt (raw), benchstat.txt and table.md. COUNT (default 10) runs
# each; -cpu 1 measures one core, as the README table states.
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off
count=${COUNT:-10}
go test -count=1 -run TestPeersAgree .
go test -run '^$' -bench '^BenchmarkVerify$' -benchmem -cpu 1 -count "$count" . | tee results.txt
go tool benchstat results.txt > benchstat.txt
go run ./cmd/benchtable < results.txt > table.md
{
	echo
	echo "$(date -u +%Y-%m-%d), $(go version | cut -d' ' -f3-), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), -cpu 1, -count $count"
	echo "command: COUNT=$count benchmarks/run.sh"
} >> table.md
cat benchstat.txt table.md
