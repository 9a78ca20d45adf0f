#!/usr/bin/env bash
# What the browser test needs, installed only when missing so a second run costs nothing:
# Debian's Chromium (Playwright drives it; it never downloads a browser of its own) and the
# npm packages of the test script and of the web chat's front end.
set -euo pipefail
cd "$(dirname "$0")/../.."

CHROMIUM=/usr/bin/chromium
# The cards use emoji (a tick, a warning sign); without a colour emoji font the
# screenshots show empty boxes where a user's browser shows them.
EMOJI=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
[ -f "$EMOJI" ] || missing+=(fonts-noto-color-emoji)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "e2e: installing Debian's ${missing[*]} (once)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        echo "e2e: missing Debian packages ${missing[*]} and this is not root; install them," \
             "or the browser test is skipped" >&2
    fi
fi

if ! command -v npm >/dev/null; then
    echo "e2e: npm is missing: install Node.js 18+ and npm, or the browser test is skipped" >&2
    exit 0
fi
# `npm ci` only when the lock file changed since the last install.
for dir in bot/webchat/frontend tests/e2e; do
    stamp="$dir/node_modules/.safecontact-installed"
    if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
        echo "e2e: npm ci in $dir"
        npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
        touch "$stamp"
    fi
done
