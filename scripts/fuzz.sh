#!/usr/bin/env bash
# Fuzzing (npm run fuzz -- [options]): builds every libFuzzer target in tests/fuzz/fuzz_*.cc with
# clang-14 (-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all) against the engine
# sources compiled with the same flags into build/fuzz/, replays tests/fuzz/regressions/<target>/,
# then fuzzes each target for N seconds from tests/fuzz/corpus/<target> with its dictionary.
# Exits non-zero on any crash, leak, UB report, timeout or OOM; prints executions per target.
#
#   --seconds N     fuzzing time per target (default 60; 0 = build + regressions only)
#   --targets a,b   only these targets (names without fuzz_ prefix; default all)
#   --parallel P    targets fuzzed at the same time (default 1; each is one process, -workers 1)
#   --rss-mb M      libFuzzer -rss_limit_mb (default 2048)
#   --build-only    build the targets and stop
#   --keep-corpus   grow tests/fuzz/corpus/<target> in place (default: new units go to build/fuzz/corpus)
# Needs: clang-14 libfuzzer-14-dev libclang-rt-14-dev nlohmann-json3-dev (Debian 12).
# Shared assets (tiny models, tokenizers) come from BERTOLOGY_SHARED (default ../shared); without
# them the tokenizer/forward targets fall back to the tokenizers and micro model built in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_PER_TARGET=60
TARGETS=""
PARALLEL=1
RSS_MB=2048
BUILD_ONLY=0
KEEP_CORPUS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    --seconds=*) SECONDS_PER_TARGET="${1#*=}"; shift ;;
    --targets) TARGETS="$2"; shift 2 ;;
    --targets=*) TARGETS="${1#*=}"; shift ;;
    --parallel) PARALLEL="$2"; shift 2 ;;
    --parallel=*) PARALLEL="${1#*=}"; shift ;;
    --rss-mb) RSS_MB="$2"; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --keep-corpus) KEEP_CORPUS=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown option $1" >&2; exit 2 ;;
  esac
done

CXX=${FUZZ_CXX:-clang++-14}
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (apt-get install clang-14 libfuzzer-14-dev libclang-rt-14-dev)" >&2; exit 2; }
if [ -z "${BERTOLOGY_SHARED:-}" ]; then
  if [ -d "$ROOT/../shared" ]; then BERTOLOGY_SHARED="$(cd "$ROOT/../shared" && pwd)"; else BERTOLOGY_SHARED=/work/shared; fi
fi
export BERTOLOGY_SHARED
[ -d "$BERTOLOGY_SHARED" ] || echo "fuzz: shared assets not found at $BERTOLOGY_SHARED; using built-in models/tokenizers only"

BUILD="$ROOT/build/fuzz"
OBJ="$BUILD/obj"
mkdir -p "$OBJ" "$BUILD/bin" "$BUILD/artifacts" "$BUILD/corpus" "$BUILD/logs"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CXXFLAGS=(-std=c++20 -O2 -g -fno-omit-frame-pointer -fno-exceptions -DJSON_NOEXCEPTION=1
          -Isrc -Itests/fuzz -Wall -Wno-unused-parameter $SAN)

# --- build: one object per source (recompiled when it or a header it includes changed) ---------
needs_build() {  # $1 object, $2 depfile
  [ -f "$1" ] && [ -f "$2" ] || return 0
  local dep
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$2"); do
    [ "$dep" -nt "$1" ] && return 0
  done
  return 1
}
export -f needs_build
export CXX OBJ
export CXXFLAGS_STR="${CXXFLAGS[*]}"

mapfile -t ENGINE_SOURCES < <(ls src/core/*.cc src/kernels/*.cc src/io/*.cc src/tokenizers/*.cc src/models/*.cc \
                                 src/models/blocks/*.cc | sort)
echo "fuzz: building engine + targets with $CXX into build/fuzz/"
build_one() {
  local src="$1" o="$OBJ/$(echo "$1" | tr '/' '_').o"
  if needs_build "$o" "$o.d"; then
    echo "  CXX $src"
    # shellcheck disable=SC2086
    # Kernels and the Unicode tables: sanitizers but no coverage instrumentation (their inner loops
    # would dominate the run time with comparison tracing; their branches depend on shapes or table
    # lookups, not on the structure of the input).
    local cov="-fsanitize=fuzzer-no-link"
    case "$src" in src/kernels/*|src/tokenizers/unicode_tables.cc) cov="" ;; esac
    $CXX $CXXFLAGS_STR $cov -MMD -MF "$o.d" -c "$src" -o "$o"
  fi
}
export -f build_one
printf '%s\n' "${ENGINE_SOURCES[@]}" tests/fuzz/fuzz_entry_points.cc tests/fuzz/fuzz_*.cc | sort -u |
  grep -v '^tests/fuzz/fuzz_entry_points.cc$' | { cat; echo tests/fuzz/fuzz_entry_points.cc; } |
  xargs -P "${FUZZ_BUILD_JOBS:-2}" -I{} bash -c 'build_one "$@"' _ {}

ENGINE_OBJECTS=()
for s in "${ENGINE_SOURCES[@]}" tests/fuzz/fuzz_entry_points.cc; do ENGINE_OBJECTS+=("$OBJ/$(echo "$s" | tr '/' '_').o"); done

ALL_TARGETS=()
for f in tests/fuzz/fuzz_*.cc; do
  name=$(basename "$f" .cc); name=${name#fuzz_}
  [ "$name" = "entry_points" ] && continue
  ALL_TARGETS+=("$name")
done
if [ -n "$TARGETS" ]; then IFS=',' read -r -a SELECTED <<< "$TARGETS"; else SELECTED=("${ALL_TARGETS[@]}"); fi

for t in "${SELECTED[@]}"; do
  [ -f "tests/fuzz/fuzz_$t.cc" ] || { echo "fuzz: no target '$t' (have: ${ALL_TARGETS[*]})" >&2; exit 2; }
  bin="$BUILD/bin/fuzz_$t"
  obj="$OBJ/tests_fuzz_fuzz_$t.cc.o"
  relink=0
  [ -f "$bin" ] || relink=1
  for o in "$obj" "${ENGINE_OBJECTS[@]}"; do [ "$o" -nt "$bin" ] && relink=1; done
  if [ "$relink" = 1 ]; then
    echo "  LD  fuzz_$t"
    # shellcheck disable=SC2086
    "$CXX" $SAN -fsanitize=fuzzer "$obj" "${ENGINE_OBJECTS[@]}" -lpthread -o "$bin"
  fi
done
[ "$BUILD_ONLY" = 1 ] && { echo "fuzz: built ${SELECTED[*]}"; exit 0; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

dict_for() {
  case "$1" in
    safetensors|safetensors_index) echo tests/fuzz/dicts/safetensors.dict ;;
    config) echo tests/fuzz/dicts/config.dict ;;
    tokenizer_json|bpe_files) echo tests/fuzz/dicts/tokenizer_json.dict ;;
    sentencepiece_model) echo tests/fuzz/dicts/sentencepiece.dict ;;
    encode_*) echo tests/fuzz/dicts/text.dict ;;
    *) echo "" ;;
  esac
}
max_len_for() {
  case "$1" in
    safetensors|safetensors_index|config|tokenizer_json|bpe_files|sentencepiece_model) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

# --- regressions: every kept crash input must now pass -------------------------------------------
FAILED=()
for t in "${SELECTED[@]}"; do
  dir="tests/fuzz/regressions/$t"
  [ -d "$dir" ] || continue
  mapfile -t files < <(find "$dir" -type f ! -name '*.md' | sort)
  [ ${#files[@]} -gt 0 ] || continue
  if "$BUILD/bin/fuzz_$t" -rss_limit_mb="$RSS_MB" -timeout=60 "${files[@]}" >"$BUILD/logs/$t.regressions.log" 2>&1; then
    echo "fuzz: $t: ${#files[@]} regression input(s) pass"
  else
    echo "fuzz: $t: a regression input FAILS (see build/fuzz/logs/$t.regressions.log)"; tail -30 "$BUILD/logs/$t.regressions.log"
    FAILED+=("$t(regression)")
  fi
done

[ "$SECONDS_PER_TARGET" -gt 0 ] || { [ ${#FAILED[@]} -eq 0 ] || exit 1; exit 0; }

# --- fuzzing ---------------------------------------------------------------------------------------
run_target() {  # $1 target; writes $BUILD/logs/$1.log, returns libFuzzer's status
  local t="$1" seeds="tests/fuzz/corpus/$t" work="$BUILD/corpus/$t" dict args=()
  mkdir -p "$work" "$BUILD/artifacts/$t" "$seeds"
  dict=$(dict_for "$t")
  [ -n "$dict" ] && [ -f "$dict" ] && args+=("-dict=$dict")
  if [ "$KEEP_CORPUS" = 1 ]; then work="$seeds"; seeds=""; fi
  # shellcheck disable=SC2086
  "$BUILD/bin/fuzz_$t" "${args[@]}" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" \
    -malloc_limit_mb="$RSS_MB" -timeout=25 -max_len="$(max_len_for "$t")" -print_final_stats=1 \
    -artifact_prefix="$BUILD/artifacts/$t/" "$work" $seeds >"$BUILD/logs/$t.log" 2>&1
}

declare -A STATUS
pending=("${SELECTED[@]}")
running=()
declare -A PIDS
while [ ${#pending[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
  while [ ${#pending[@]} -gt 0 ] && [ ${#running[@]} -lt "$PARALLEL" ]; do
    t="${pending[0]}"; pending=("${pending[@]:1}")
    echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
    run_target "$t" & PIDS[$t]=$!; running+=("$t")
  done
  still=()
  for t in "${running[@]}"; do
    if kill -0 "${PIDS[$t]}" 2>/dev/null; then still+=("$t"); else
      if wait "${PIDS[$t]}"; then STATUS[$t]=0; else STATUS[$t]=$?; fi
    fi
  done
  running=("${still[@]+"${still[@]}"}")
  [ ${#running[@]} -gt 0 ] && sleep 1
done

echo
printf '%-22s %14s %10s %8s %8s  %s\n' target executions exec/s corpus cov result
total=0
for t in "${SELECTED[@]}"; do
  log="$BUILD/logs/$t.log"
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -1 | awk '{print $2}')
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | tail -1 | awk '{print $2}')
  corpus=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  execs=${execs:-0}; total=$((total + execs))
  if [ "${STATUS[$t]}" = 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$log"; then
    result=ok
  else
    result="FAILED (exit ${STATUS[$t]}; build/fuzz/logs/$t.log, artifacts in build/fuzz/artifacts/$t/)"
    FAILED+=("$t")
  fi
  printf '%-22s %14s %10s %8s %8s  %s\n' "$t" "$execs" "${speed:-?}" "${corpus:-?}" "${cov:-?}" "$result"
done
echo "total executions: $total"
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${FAILED[*]}"
  for t in "${FAILED[@]}"; do
    log="$BUILD/logs/${t%(regression)}.log"
    [ -f "$log" ] && { echo "--- $log (tail)"; grep -E 'ERROR|runtime error|SUMMARY|invariant|Test unit written|#[0-9]+ 0x' "$log" | head -40; }
  done
  exit 1
fi
echo "fuzz: no crashes, leaks or UB"
