#!/usr/bin/env bash
# Build the optional native BLAS addon (native/, issue 13) with the node-gyp that ships with npm.
# Optional by design: if it cannot be built (no C compiler, no BLAS headers), the kit runs on wasm
# exactly as before, and `npm run env` says why the native path is off.
#
#   bash environment/build-native.sh          # build (quietly), print one line
#   bash environment/build-native.sh --clean  # remove the build (the kit then runs on wasm)
#
# Offline: node-gyp is pointed at the headers that come with the installed Node
# (<prefix>/include/node), so it downloads nothing. npm 11 does not run install scripts of the
# root package for us in a way we can rely on (allowScripts), so install.sh calls this script.
set -u
cd "$(dirname "$0")/../native"
if [[ "${1:-}" == "--clean" ]]; then rm -rf build; echo "native addon removed"; exit 0; fi
prefix=$(dirname "$(dirname "$(command -v node)")")
gyp=""
for c in "$prefix/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" \
         "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"; do
  [[ -f $c ]] && { gyp=$c; break; }
done
if [[ -z $gyp ]]; then echo "native addon not built: node-gyp (bundled with npm) not found; the kit runs on wasm"; exit 0; fi
args=()
[[ -f $prefix/include/node/common.gypi ]] && args+=("--nodedir=$prefix")
if node "$gyp" rebuild "${args[@]}" >build.log 2>&1; then
  rm -f build.log
  node -e 'const b=require("./build/Release/lco_blas.node");console.log("native addon built: "+b.info())'
else
  echo "native addon not built (see native/build.log); the kit runs on wasm"
  rm -rf build
fi
exit 0
