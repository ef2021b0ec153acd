#!/usr/bin/env bash
# Set-up of the side-by-side benchmarks (bench/native.bench.ts): what a user would pick instead of
# the kit, from Debian: PyTorch CPU (python3-torch, OpenBLAS through libopenblas0-pthread) and
# numpy. Only the benchmarks need these; tests never do. Needs root (apt-get); idempotent.
#   bash bench/setup.sh
set -eu
have() { /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
pkgs=()
have numpy || pkgs+=(python3-numpy)
have torch || pkgs+=(python3-torch)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || pkgs+=(libopenblas0-pthread)
if ((${#pkgs[@]})); then
  if [[ $(id -u) -ne 0 ]]; then echo "run as root, or: sudo apt-get install -y --no-install-recommends ${pkgs[*]}"; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
/usr/bin/python3 -c "import numpy, torch; print('bench set-up ok: numpy', numpy.__version__, '· torch', torch.__version__)"
