#!/usr/bin/env bash
# The system libraries the bot itself needs, installed once when missing: pango, with
# which WeasyPrint lays out the letters' PDFs (cards/letter_pdf.py). Debian and Ubuntu
# as root get them from apt; anywhere else this says what to install and carries on
# (everything but the PDFs works without them, and `safecontact doctor` says so).
set -euo pipefail
have() { ldconfig -p 2>/dev/null | grep -q "$1"; }
missing=()
have libpango-1.0.so.0 || missing+=(libpango-1.0-0)
have libpangoft2-1.0.so.0 || missing+=(libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's ${missing[*]} for the letters' PDFs (once)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
else
    echo "missing system packages ${missing[*]} (pango, for the letters' PDFs):" \
         "install them with your package manager (macOS: brew install pango)" >&2
fi
