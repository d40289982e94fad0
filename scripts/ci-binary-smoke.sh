#!/usr/bin/env bash
# CI smoke test of the standalone executable: builds dist/kstream, copies it alone into an empty temp
# directory (no node_modules above it), and uses only that file: --version/--help, `serve` on a free port
# with a temp data dir, then produce → consume of a few records through the binary itself, plain and
# with each compression codec.
# Every kstream call runs with an empty environment (env -i) and PATH pointing nowhere: the binary must
# need nothing from the machine. Exits non-zero on any failure, printing the broker log.
#
#   scripts/ci-binary-smoke.sh [--no-build]     (--no-build: test the existing dist/kstream)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$repo/node_modules/.bin:$PATH"

if [[ "${1:-}" != "--no-build" ]]; then
  npm run -s build:binary
fi
[[ -x dist/kstream ]] || { echo "smoke: dist/kstream missing (npm run build:binary)" >&2; exit 1; }
version=$(node -p "require('./package.json').version")

work=$(mktemp -d /tmp/kstream-binary-smoke.XXXXXX)
broker_pid=
cleanup() {
  if [[ -n "$broker_pid" ]] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "smoke: FAIL: $*" >&2
  if [[ -s "$work/serve.log" ]]; then
    echo "--- broker log ---" >&2
    cat "$work/serve.log" >&2
  fi
  exit 1
}

# The binary alone, in a directory with no package around it.
dir=$(cd "$work" && pwd -P)
probe=$dir
while [[ "$probe" != / ]]; do
  [[ ! -e "$probe/node_modules" && ! -e "$probe/package.json" ]] || fail "$probe has node_modules or package.json"
  probe=$(dirname "$probe")
done
[[ ! -e /node_modules ]] || fail "/node_modules exists"
cp dist/kstream "$work/kstream"
mkdir "$work/home"
cd "$work"
# No Node, no node_modules, no NODE_OPTIONS: only the file itself.
ks() { env -i HOME="$work/home" PATH=/nonexistent ./kstream "$@"; }

step() { echo "smoke: $*"; }

step "kstream --version"
out=$(ks --version 2>"$work/stderr") || fail "--version exited $?"
[[ "$out" == "kstream/$version linux-x64 node-v24."* ]] || fail "--version printed '$out'"
[[ ! -s "$work/stderr" ]] || fail "--version wrote to stderr: $(cat "$work/stderr")"

step "kstream --help"
out=$(ks --help 2>"$work/stderr") || fail "--help exited $?"
grep -q '^USAGE' <<<"$out" || fail "--help printed no USAGE: $out"
[[ ! -s "$work/stderr" ]] || fail "--help wrote to stderr: $(cat "$work/stderr")"

# Every command the smoke test drives must be in the binary; a missing one is a failure, not a skip.
for cmd in serve produce consume; do
  ks "$cmd" --help >/dev/null 2>&1 || fail "the binary has no '$cmd' command"
done

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
step "kstream serve --port $port --data-dir $work/data"
mkdir "$work/data"
# Not through ks(): a backgrounded function is a subshell, and $! must be the broker itself (env execs it).
env -i HOME="$work/home" PATH=/nonexistent ./kstream serve --port "$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
broker_pid=$!
deadline=$((SECONDS + 20))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  kill -0 "$broker_pid" 2>/dev/null || fail "serve exited before accepting connections"
  ((SECONDS < deadline)) || fail "serve not accepting on port $port after 20 s"
  sleep 0.05
done

input=$'a\nb\nc'
step "produce 3 records to topic smoke"
printf '%s\n' "$input" | timeout 30 env -i HOME="$work/home" PATH=/nonexistent ./kstream produce smoke -b "127.0.0.1:$port" \
  >"$work/produce.out" 2>"$work/produce.err" || fail "produce exited $?: $(cat "$work/produce.err")"

step "consume them back"
timeout 30 env -i HOME="$work/home" PATH=/nonexistent ./kstream consume smoke --from-beginning -e -b "127.0.0.1:$port" \
  >"$work/consume.out" 2>"$work/consume.err" || fail "consume exited $?: $(cat "$work/consume.err")"
[[ "$(cat "$work/consume.out")" == "$input" ]] ||
  fail "consumed '$(cat "$work/consume.out")', expected '$input' (stderr: $(cat "$work/consume.err"))"

# Every codec must work inside the binary (snappy/lz4 are pure JS, gzip/zstd Node's zlib).
for codec in gzip snappy lz4 zstd; do
  step "produce/consume with --compression $codec"
  printf '%s\n' "$input" | timeout 30 env -i HOME="$work/home" PATH=/nonexistent ./kstream produce "smoke-$codec" -z "$codec" \
    -b "127.0.0.1:$port" >/dev/null 2>"$work/produce-$codec.err" || fail "produce -z $codec exited $?: $(cat "$work/produce-$codec.err")"
  out=$(timeout 30 env -i HOME="$work/home" PATH=/nonexistent ./kstream consume "smoke-$codec" --from-beginning -e \
    -b "127.0.0.1:$port" 2>"$work/consume-$codec.err") || fail "consume of $codec records exited $?: $(cat "$work/consume-$codec.err")"
  [[ "$out" == "$input" ]] || fail "consumed '$out' from $codec batches, expected '$input'"
done

kill "$broker_pid"
wait "$broker_pid" 2>/dev/null || true
broker_pid=
if grep -qi -E 'ExperimentalWarning|DeprecationWarning|\(node:[0-9]+\)' "$work/serve.log" "$work"/*.err; then
  fail "Node warnings reached the terminal: $(grep -hi -E 'Warning|\(node:' "$work/serve.log" "$work"/*.err)"
fi
echo "smoke: OK — dist/kstream ($(du -m "$repo/dist/kstream" | cut -f1) MB) served, produced and consumed from $work"
