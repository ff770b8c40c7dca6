#!/usr/bin/env bash
# Open every .xlsx under a folder in LibreOffice (headless) and convert it to PDF.
# Usage: scripts/check_libreoffice.sh DIR [PDF_DIR]
#   DIR      folder searched recursively for *.xlsx (e.g. outputs/2024-06)
#   PDF_DIR  where the PDFs go, mirroring DIR's subfolders (default: a temporary folder, removed)
# Exit status: 0 every workbook converted; 1 at least one failed; 2 usage error or no LibreOffice.
# Not part of CI: LibreOffice is large. tests/test_export.py runs it when soffice is installed.
set -uo pipefail

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 DIR [PDF_DIR]  (DIR must be a folder)" >&2
  exit 2
fi
SRC=$(cd "$1" && pwd)
# $SOFFICE overrides the search (tests point it at a missing program).
SOFFICE=${SOFFICE:-$(command -v soffice || command -v libreoffice || true)}
if [ -z "$SOFFICE" ] || [ ! -x "$SOFFICE" ]; then
  echo "LibreOffice (soffice) not found; install libreoffice-calc-nogui" >&2
  exit 2
fi

KEEP=1
if [ $# -ge 2 ]; then
  mkdir -p "$2" && OUT=$(cd "$2" && pwd)
else
  OUT=$(mktemp -d) && KEEP=0
fi
# A private profile: no clash with a running LibreOffice, no first-start dialogs.
PROFILE=$(mktemp -d)
cleanup() { rm -rf "$PROFILE"; [ "$KEEP" = 1 ] || rm -rf "$OUT"; }
trap cleanup EXIT

mapfile -d '' FILES < <(find "$SRC" -type f -name '*.xlsx' ! -name '~$*' -print0 | sort -z)
if [ ${#FILES[@]} -eq 0 ]; then
  echo "no .xlsx files under $SRC" >&2
  exit 1
fi

failed=0
# One soffice run per folder (starting LibreOffice is the slow part); PDFs keep the subfolder.
mapfile -t DIRS < <(printf '%s\n' "${FILES[@]}" | xargs -d '\n' -n1 dirname | sort -u)
for dir in "${DIRS[@]}"; do
  rel=${dir#"$SRC"}
  dest="$OUT$rel"
  mkdir -p "$dest"
  batch=()
  for f in "${FILES[@]}"; do [ "$(dirname "$f")" = "$dir" ] && batch+=("$f"); done
  timeout 600 "$SOFFICE" -env:UserInstallation="file://$PROFILE" --headless --norestore \
    --convert-to pdf --outdir "$dest" "${batch[@]}" >"$PROFILE/log.txt" 2>&1
  rc=$?
  for f in "${batch[@]}"; do
    pdf="$dest/$(basename "${f%.xlsx}").pdf"
    if [ -s "$pdf" ] && head -c 5 "$pdf" | grep -q '%PDF-'; then
      echo "ok    ${f#"$SRC"/}"
    else
      echo "FAIL  ${f#"$SRC"/} (soffice exit $rc)" >&2
      sed 's/^/      /' "$PROFILE/log.txt" >&2
      failed=$((failed + 1))
    fi
  done
done

total=${#FILES[@]}
echo "LibreOffice: $((total - failed))/$total workbooks converted to PDF"
[ "$KEEP" = 1 ] && echo "PDFs in $OUT"
[ "$failed" -eq 0 ]
