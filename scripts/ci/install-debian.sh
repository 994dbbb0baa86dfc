#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks use, only those missing. Run as root (CI, a
# developer's Debian box). Idempotent.
#  - chromium: end-to-end tests through playwright-core (no browser download)
#  - dataset-fashion-mnist: real data for data-set tests and benchmarks
#  - poppler-utils: pdftotext / pdftoppm for report tests
#  - fonts-dejavu-core: the PDF reports' fallback font for scripts Roboto lacks (Hebrew, Armenian, emoji…)
#  - redis-server: the broker of cluster sweeps (tests start their own on a free loopback port)
#  - slurmctld slurmd slurm-client munge: a single-node Slurm for the `sweeplab slurm` test
#  - python3-torch libopenblas0-pthread python3-numpy: PyTorch side-by-side tests (safetensors reload)
#  - mesa-vulkan-drivers libvulkan1 from bookworm-backports: a software Vulkan adapter (llvmpipe,
#    Mesa >= 25) that Dawn accepts, so the WebGPU backend is tested without a GPU. Debian 12's own
#    Mesa 22.3 lavapipe is refused by Dawn; Debian 13 ships Mesa 25 directly.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

. /etc/os-release 2>/dev/null || true
codename="${VERSION_CODENAME:-}"

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld slurmd slurm-client munge)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch libopenblas0-pthread python3-numpy)

vulkan_ok() {
  # Mesa's software Vulkan driver at version 25 or newer.
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25 && dpkg -s libvulkan1 >/dev/null 2>&1
}

backports=0
if ! vulkan_ok; then
  if [ "$codename" = "bookworm" ]; then
    backports=1
    src=/etc/apt/sources.list.d/debian.sources
    if [ -f "$src" ] && ! grep -q 'bookworm-backports' "$src"; then
      # Same mirror, one more suite on the existing line.
      sed -i 's/^Suites: bookworm bookworm-updates$/Suites: bookworm bookworm-updates bookworm-backports/' "$src"
    fi
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list
    fi
  else
    need+=(mesa-vulkan-drivers libvulkan1)
  fi
fi

if [ ${#need[@]} -gt 0 ] || [ $backports = 1 ]; then
  apt-get update -qq
  if [ ${#need[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  if [ $backports = 1 ]; then
    apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  fi
fi
# The Debian packages start daemons on install where systemd runs; the tests start their own on
# free ports, so stop any that came up (best effort, no systemd in CI containers).
for svc in redis-server slurmctld slurmd munge; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
exit 0
