#!/bin/sh
# Install PHP and Debian's packaged Laravel Validator for the tests/laravel differential test.
# Idempotent and quick: does nothing when everything is already installed.
set -eu
PACKAGES="php-cli php-illuminate-validation php-illuminate-translation"
missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ]; then
    echo "install-php: already installed:$PACKAGES"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when a package is not known yet (keeps reruns fast).
for pkg in $missing; do
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then
        $SUDO apt-get update -qq
        break
    fi
done
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
