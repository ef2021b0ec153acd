#!/usr/bin/env bash
# Install and check what lco-kit needs beyond npm. Idempotent: a second run only checks.
#
#   bash environment/install.sh          # install what is missing (apt needs root), then check
#   bash environment/install.sh --check  # check only; exit 1 and say what is missing
#
# What it sets up:
#   - Debian Jupyter (nbconvert, nbclient, ipykernel, and the notebook 6.4 server behind
#     `npm run notebook`) for the system python3 (/usr/bin/python3)
#   - Debian chromium for static (PNG/SVG) figure export through playwright-core
#   - node_modules (npm ci) and the built kit in dist/
#   - the tslab kernel, registered in the project-local prefix .jupyter/ (no global state)
#   - optionally, the native BLAS addon in native/ (Debian libopenblas-dev + node-gyp); without it
#     the kit runs on wasm
#   - optionally, the Debian Bible modules behind data/world/verses.json (for one test)
#   - optionally, a software GPU adapter for the webgpu tests: Debian's Vulkan loader libvulkan1
#     (when root) and Mesa 25's lavapipe from bookworm-backports unpacked into data/cache/lavapipe/
#     (environment/software-gpu.mjs, sha256-pinned; the system's Mesa is not touched); without it
#     the webgpu tests skip with one line
#   - Debian's Slurm 22.05 (slurmctld, slurmd, slurm-client; munge comes as a dependency), for the
#     sweep test against a throwaway local cluster (environment/local-slurm.sh); no daemon is started
set -u
cd "$(dirname "$0")/.."
check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

APT_PKGS=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel jupyter-core jupyter-notebook chromium slurmctld slurmd slurm-client)
missing=()
have_py_mod() { /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
have_py_mod nbclient || missing+=(python3-nbclient)
have_py_mod nbconvert || missing+=(jupyter-nbconvert)
have_py_mod ipykernel || missing+=(python3-ipykernel)
have_py_mod jupyter_client || missing+=(jupyter-client)
command -v jupyter >/dev/null 2>&1 || missing+=(jupyter-core)
have_py_mod notebook.notebookapp || missing+=(jupyter-notebook)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)

if ((${#missing[@]})); then
  if ((check_only)); then
    echo "missing Debian packages: ${missing[*]}"
  elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The munge/slurm packages would start their daemons on a machine with an init system; the
    # tests start their own throwaway cluster instead, so forbid service starts during the install
    # (a policy-rc.d that denies everything, removed again unless one was already there).
    own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${APT_PKGS[@]}" >/dev/null
    apt_rc=$?
    ((own_policy)) && rm -f /usr/sbin/policy-rc.d
    ((apt_rc == 0)) || { echo "apt-get install failed"; exit 1; }
    missing=()
  else
    echo "missing Debian packages: ${missing[*]}"
    echo "install them as root with:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${APT_PKGS[*]}"
    echo "(chromium is only needed for PNG/SVG figure export and the browser tests; notebooks need the Jupyter packages;"
    echo " jupyter-notebook is the server behind npm run notebook; the slurm packages only for the sweep test against a local cluster)"
  fi
fi

if [[ ! -d node_modules/@tensorflow/tfjs || ! -e node_modules/lco-kit ]]; then
  if ((check_only)); then echo "node_modules missing: run npm ci"; missing+=(node_modules);
  else npm ci --no-audit --no-fund || { echo "npm ci failed"; exit 1; }; fi
fi
if [[ ! -f dist/index.js ]]; then
  if ((check_only)); then echo "dist/ missing: run npm run build"; missing+=(dist);
  else npm run -s build || { echo "build failed"; exit 1; }; fi
fi

# The Debian SWORD modules behind data/world/verses.json (apt-get download + dpkg -x, no root,
# about 7 MB, sha256-checked), so that the test comparing a rebuild with the committed file runs.
# Optional: without them that one test skips and everything else works from the committed file.
if ((!check_only)) && command -v apt-get >/dev/null 2>&1 && [[ ! -d data/cache/sword-text-web ]]; then
  node environment/fetch-assets.mjs --only verses >/dev/null 2>&1 \
    && echo "verse modules fetched into data/cache/" \
    || echo "verse modules not fetched (no Debian mirror?); the Debian-module verse test will skip"
fi

# The optional native BLAS addon (issue 13): Debian's OpenBLAS headers (when root), then the build.
# Never fatal: without it the kit runs on wasm (npm run env says why). LCO_NATIVE=0 skips it, so
# that `npm test` after `build-native.sh --clean` runs without the addon instead of rebuilding it.
if ((!check_only)) && [[ ${LCO_NATIVE:-} == 0 && ! -f native/build/Release/lco_blas.node ]]; then
  echo "native addon not built (LCO_NATIVE=0); the kit runs on wasm"
elif ((!check_only)) && [[ ! -f native/build/Release/lco_blas.node ]]; then
  if [[ $(uname) != Darwin ]] && ! ls /usr/include/cblas.h /usr/include/*/cblas.h >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libopenblas-dev >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libopenblas-dev >/dev/null 2>&1; } \
        || echo "libopenblas-dev not installed; the native BLAS path stays off"
    else
      echo "optional: sudo apt-get install -y --no-install-recommends libopenblas-dev  (native BLAS path)"
    fi
  fi
  bash environment/build-native.sh
fi

# The software GPU adapter (issue 14): the Vulkan loader (Debian libvulkan1, when root), then
# Mesa 25's lavapipe, unpacked into data/cache/lavapipe/ by software-gpu.mjs. Never fatal: without
# it the webgpu tests skip with one line and everything else runs on wasm.
if ((!check_only)) && [[ $(uname) == Linux ]] && ! node environment/software-gpu.mjs --check >/dev/null 2>&1; then
  if ! ls /usr/lib/*-linux-gnu/libvulkan.so.1 >/dev/null 2>&1 && ! ls /usr/lib64/libvulkan.so.1 >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvulkan1 >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvulkan1 >/dev/null 2>&1; } \
        || echo "libvulkan1 not installed; no software GPU adapter (the webgpu tests will skip)"
    else
      echo "optional: sudo apt-get install -y --no-install-recommends libvulkan1  (software GPU adapter for the webgpu tests)"
    fi
  fi
  node environment/software-gpu.mjs || echo "(the webgpu tests will skip)"
fi

# The tslab kernel, in a project-local Jupyter prefix. kernel.json has no absolute paths; Jupyter
# finds it through JUPYTER_PATH and the kernel (`lco kernel`: tslab with the kit's zeromq send
# queue) through node_modules/.bin on PATH (scripts do both). Rewritten when out of date.
if ((check_only)); then
  node scripts/notebooks.mjs register-kernel --check || missing+=(tslab-kernel)
else
  node scripts/notebooks.mjs register-kernel || { echo "registering the tslab kernel failed"; exit 1; }
fi

if ((${#missing[@]})); then exit 1; fi
echo "environment ok: $(node --version), jupyter $(/usr/bin/python3 -c 'import nbclient;print("nbclient", nbclient.__version__)'), chromium $([[ -x /usr/bin/chromium ]] && echo yes || echo no), slurm $(dpkg-query -W -f='${Version}' slurm-client 2>/dev/null || echo no)"
