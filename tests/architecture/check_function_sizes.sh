#!/usr/bin/env bash
# No function in the libraries over 60 lines, no function of a program
# (launch/programs/, benchmarks/) over 80: clang-tidy's
# readability-function-size on every source of the build's
# compile_commands.json; each function over its limit is named with its
# length, and fails the check.
#   check_function_sizes.sh SOURCE_DIR BUILD_DIR
#   check_function_sizes.sh --self-test     the check finds a 70-line function in a file made for it
set -euo pipefail
command -v clang-tidy > /dev/null || { echo "clang-tidy is missing (scripts/install_deps.sh installs it)"; exit 1; }

over_limit() {  # ROOT BUILD_DIR LIMIT FILES...: "file function lines" for each function over LIMIT
  local root=$1 build=$2 limit=$3
  shift 3
  printf '%s\n' "$@" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet \
    --checks='-*,readability-function-size' \
    --config="{CheckOptions: [{key: readability-function-size.LineThreshold, value: $limit}]}" 2> /dev/null |
    awk -v root="$root/" '
      /warning: function .* exceeds recommended size/ {
        file = $1; sub(/:[0-9]+:[0-9]+:$/, "", file); sub(root, "", file)
        match($0, /function \x27[^\x27]+\x27/); name = substr($0, RSTART + 10, RLENGTH - 11) }
      /note: [0-9]+ lines including/ && file != "" { print file, name, $3; file = "" }'
}

if [[ ${1:-} == --self-test ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  { echo "int long_one(int x) {"; for i in $(seq 70); do echo "  x += $i;"; done; echo "  return x;"; echo "}"
    echo "int short_one(int x) { return x + 1; }"; } > "$work/sizes.cpp"
  printf '[{"directory": "%s", "command": "c++ -std=c++20 -c sizes.cpp", "file": "%s/sizes.cpp"}]\n' \
    "$work" "$work" > "$work/compile_commands.json"
  found=$(over_limit "$work" "$work" 60 "$work/sizes.cpp")
  [[ $found == "sizes.cpp long_one 72" ]] || { echo "FAIL: the check reported '$found' for a 72-line function"; exit 1; }
  echo "the function-size check finds a 72-line function and passes a short one"
  exit 0
fi

source_dir=$1 build_dir=$2
cd "$source_dir"
[[ -f $build_dir/compile_commands.json ]] || { echo "no $build_dir/compile_commands.json"; exit 1; }
mapfile -t libraries < <(git ls-files 'framework/*.cpp' 'data_pipeline/*.cpp' 'launch/trainer/*.cpp' 'models/*.cpp')
mapfile -t programs < <(git ls-files 'launch/programs/*.cpp' 'benchmarks/*.cpp')
found=$({ over_limit "$source_dir" "$build_dir" 60 "${libraries[@]}"; over_limit "$source_dir" "$build_dir" 80 "${programs[@]}"; } | sort -u)
if [[ -n $found ]]; then
  while read -r file name lines; do
    echo "FAIL: $file: $name has $lines lines (limits: 60 in the libraries, 80 in the programs): cut it"
  done <<< "$found"
  exit 1
fi
echo "function sizes: ${#libraries[@]} library and ${#programs[@]} program files, no function over its limit"
