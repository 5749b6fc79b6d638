#!/bin/sh
# Install Debian's Chromium for the browser tests of the live race pages (tests/pages), driven
# by Playwright with this browser's path: nothing downloads a browser of its own.
# Idempotent and quick: does nothing when Chromium is already installed.
set -eu
if [ -x /usr/bin/chromium ]; then
    echo "install-chromium: already installed: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
    $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
