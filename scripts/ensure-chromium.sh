#!/bin/sh
# The dashboard's browser test drives Debian's Chromium (playwright-core downloads no browser
# of its own). Installs it when missing, so `npm test` needs nothing installed by hand.
set -eu
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "The dashboard test needs Chromium: install Debian's chromium package (apt-get install chromium)." >&2
  exit 1
fi
echo "Installing Debian's chromium for the dashboard's browser test..." >&2
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
