#!/usr/bin/env bash
# mutation.sh: mutation testing of the root package (package cognito), one
# file at a time, with a per-file score table. Not run in CI: it runs the
# package's whole test suite once per mutant, about an hour and a half with
# one worker on a 2-core machine.
#
# Usage:
#
#	go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
#	scripts/mutation.sh                 # every non-test .go file of the root package
#	scripts/mutation.sh token.go cache.go
#
# Environment:
#
#	WORKERS              gremlins workers (default 1: the machine is shared)
#	TIMEOUT_COEFFICIENT  gremlins --timeout-coefficient, also used for the
#	                     second pass (default 10: a loaded machine is slow,
#	                     and a timed-out mutant is not a killed one)
#	OUT                  directory for logs (default: a new temporary one)
#	SKIP                 a go test -skip pattern, for tests that fail on a
#	                     loaded machine whatever the mutant (their failures
#	                     would count as kills); default none
#
# Two passes per file:
#
#  1. gremlins, with every other file excluded. Its default mutators:
#     CONDITIONALS_BOUNDARY (< to <=), CONDITIONALS_NEGATION (== to !=, < to
#     >=), ARITHMETIC_BASE (+ to -, * to /, % to *), INCREMENT_DECREMENT,
#     INVERT_NEGATIVES.
#  2. gremlins only runs mutants on lines of Go's coverage blocks, and those
#     never include the case expressions of a switch, nor constant
#     declarations: it reports them NOT COVERED although tests run them. Many
#     of our rules live there (the kid, key and config limits in tagless
#     switches), so this pass applies each such mutant itself, at the line
#     and column gremlins gives, in a scratch copy of the module, and runs the
#     package's tests on it: KILLED (a test failed), LIVED (all passed), NOT
#     VIABLE (does not compile) or TIMED OUT.
#
# Efficacy is gremlins' measure: killed / (killed + lived); gremlins counts a
# mutant that does not compile (go test exits 1) as KILLED, the second pass
# as NOT VIABLE. A LIVED mutant is
# a rule no test pins, or a change nothing can observe (an equivalent
# mutant); every LIVED one is listed at the end with its source line, to be
# judged one by one. The worktree is never modified.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v gremlins >/dev/null || {
	echo "gremlins is not on PATH: go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0" >&2
	exit 1
}
workers=${WORKERS:-1}
coef=${TIMEOUT_COEFFICIENT:-10}
out=${OUT:-$(mktemp -d -t mutation.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# -count=1: gremlins times its coverage run to set each mutant's timeout,
# and a cached test result would make that a second or so.
goflags="${GOFLAGS:+$GOFLAGS }-count=1"
skip=()
if [ -n "${SKIP:-}" ]; then
	goflags+=" -skip=$SKIP"
	skip=(-test.skip "$SKIP")
fi

mapfile -t all < <(ls -- *.go | grep -v '_test\.go$')
if [ $# -gt 0 ]; then files=("$@"); else files=("${all[@]}"); fi

# Everything runs in a scratch copy of the working tree as it is (without
# .git): gremlins runs go mod download, which rewrites go.work.sum, and the
# second pass mutates files there (restoring each after).
src=$out/src
rm -rf "$src"
mkdir -p "$src"
tar --exclude=./.git -cf - . | tar -xf - -C "$src"
cd "$src"

# The second pass's timeout: coef times the unmutated suite, at least a minute.
(cd "$src" && go test -c -vet=off -o "$out/base.test" .)
start=$(date +%s)
(cd "$src" && "$out/base.test" -test.count=1 "${skip[@]}" >"$out/base.log" 2>&1) || {
	echo "the unmutated test suite fails; see $out/base.log" >&2
	exit 1
}
suite=$(($(date +%s) - start))
budget=$((suite * coef > 60 ? suite * coef : 60))

# mutate FILE LINE COL TYPE rewrites the operator at LINE:COL (bytes, from 1)
# of FILE as gremlins would; it fails when no such operator is there.
mutate() {
	LC_ALL=C awk -v L="$2" -v C="$3" -v T="$4" '
	function rep(n, s) { $0 = substr($0, 1, C - 1) s substr($0, C + n); done = 1 }
	NR == L {
		two = substr($0, C, 2); one = substr($0, C, 1)
		if (T == "CONDITIONALS_BOUNDARY") {
			if (two == "<=") rep(2, "<"); else if (two == ">=") rep(2, ">")
			else if (one == "<") rep(1, "<="); else if (one == ">") rep(1, ">=")
		} else if (T == "CONDITIONALS_NEGATION") {
			if (two == "==") rep(2, "!="); else if (two == "!=") rep(2, "==")
			else if (two == "<=") rep(2, ">"); else if (two == ">=") rep(2, "<")
			else if (one == "<") rep(1, ">="); else if (one == ">") rep(1, "<=")
		} else if (T == "ARITHMETIC_BASE") {
			if (one == "+") rep(1, "-"); else if (one == "-") rep(1, "+")
			else if (one == "*") rep(1, "/"); else if (one == "/") rep(1, "*")
			else if (one == "%") rep(1, "*")
		} else if (T == "INCREMENT_DECREMENT") {
			if (two == "++") rep(2, "--"); else if (two == "--") rep(2, "++")
		} else if (T == "INVERT_NEGATIVES") {
			if (one == "-") rep(1, "+")
		}
	}
	{ print }
	END { exit done ? 0 : 1 }' "$1" >"$1.mutant" && mv "$1.mutant" "$1"
}

# second FILE LOG: the second pass over the NOT COVERED mutants in LOG.
second() {
	local f=$1 log=$2 typ pos line col status
	cp "$src/$f" "$out/orig.go"
	{ grep -E '^ *NOT COVERED ' "$log" || true; } | while read -r _ _ typ _ pos; do
		line=$(cut -d: -f2 <<<"$pos")
		col=$(cut -d: -f3 <<<"$pos")
		cp "$out/orig.go" "$src/$f"
		if ! mutate "$src/$f" "$line" "$col" "$typ"; then
			status="SKIPPED"
		elif ! (cd "$src" && go test -c -vet=off -o "$out/mutant.test" . >/dev/null 2>&1); then
			status="NOT VIABLE"
		else
			set +e
			(cd "$src" && timeout "$budget" "$out/mutant.test" -test.count=1 -test.failfast "${skip[@]}" >/dev/null 2>&1)
			case $? in
			0) status="LIVED" ;;
			124) status="TIMED OUT" ;;
			*) status="KILLED" ;;
			esac
			set -e
		fi
		printf '%12s %s at %s\n' "$status" "$typ" "$pos"
	done
	cp "$out/orig.go" "$src/$f"
}

count() { grep -cE "^ *$1 " "$2" || true; }
eff() { if [ $(($1 + $2)) -eq 0 ]; then echo "-"; else awk -v k="$1" -v l="$2" 'BEGIN { printf "%.1f%%", 100 * k / (k + l) }'; fi; }

table=$out/table.txt
row() {
	printf '%-14s %6d %6d %6d %6d %6d %8s | %6d %6d %6d %6d %8s | %8s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$(eff "$2" "$3")" \
		"$7" "$8" "$9" "${10}" "$(eff "$7" "$8")" "$(eff $(($2 + $7)) $(($3 + $8)))"
}
sum=(0 0 0 0 0 0 0 0 0)
printf '%-14s %6s %6s %6s %6s %6s %8s | %6s %6s %6s %6s %8s | %8s\n' \
	file killed lived timeout n/viab n/cov efficacy killed lived timeout n/viab efficacy total >"$table"
for f in "${files[@]}"; do
	excludes=(-E '/')
	for g in "${all[@]}"; do
		if [ "$g" != "$f" ]; then excludes+=(-E "^${g//./\\.}\$"); fi
	done
	echo "== $f: gremlins" >&2
	# Its coverage run is the whole suite, which a loaded machine may fail:
	# try again rather than lose the file.
	for attempt in 1 2 3; do
		GOFLAGS=$goflags gremlins unleash --workers "$workers" --timeout-coefficient "$coef" "${excludes[@]}" \
			-o "$out/$f.json" . >"$out/$f.log" 2>&1 || true
		if ! grep -q 'failed to gather coverage' "$out/$f.log"; then break; fi
		echo "   coverage run failed (attempt $attempt)" >&2
	done
	if grep -q 'failed to gather coverage' "$out/$f.log"; then
		echo "gremlins could not gather coverage for $f; see $out/$f.log" >&2
		exit 1
	fi
	echo "== $f: the mutants gremlins does not run" >&2
	second "$f" "$out/$f.log" >"$out/$f.second.log"
	gk=$(count KILLED "$out/$f.log") gl=$(count LIVED "$out/$f.log") gt=$(count 'TIMED OUT' "$out/$f.log")
	gv=$(count 'NOT VIABLE' "$out/$f.log") gn=$(count 'NOT COVERED' "$out/$f.log")
	sk=$(count KILLED "$out/$f.second.log") sl=$(count LIVED "$out/$f.second.log")
	st=$(count 'TIMED OUT' "$out/$f.second.log") sv=$(count 'NOT VIABLE' "$out/$f.second.log")
	row "$f" "$gk" "$gl" "$gt" "$gv" "$gn" "$sk" "$sl" "$st" "$sv" >>"$table"
	n=("$gk" "$gl" "$gt" "$gv" "$gn" "$sk" "$sl" "$st" "$sv")
	for i in "${!sum[@]}"; do sum[i]=$((sum[i] + n[i])); done
done
row all "${sum[@]}" >>"$table"

echo
echo "Per file: gremlins (left), then the NOT COVERED mutants run by this script (right)."
cat "$table"
echo
echo "LIVED (and TIMED OUT) mutants, with their source line:"
for f in "${files[@]}"; do
	{ grep -hE '^ *(LIVED|TIMED OUT) ' "$out/$f.log" "$out/$f.second.log" || true; } | while read -r found; do
		line=$(cut -d: -f2 <<<"${found##* }")
		printf '%s\t%s\n' "$found" "$(sed -n "${line}p" "$f" | sed 's/^[[:space:]]*//')"
	done
done
echo
echo "Logs: $out"
