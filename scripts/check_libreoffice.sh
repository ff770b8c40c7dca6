#!/usr/bin/env bash
# Open every .xlsx (and every .docx: the 公文, see check_documents) under a folder in
# LibreOffice (headless), convert it to PDF, and check the print.
# Usage: scripts/check_libreoffice.sh DIR [PDF_DIR]
#   DIR      folder searched recursively for *.xlsx (e.g. outputs/2024-06)
#   PDF_DIR  where the PDFs go, mirroring DIR's subfolders (default: a temporary folder, removed)
# Each PDF is then measured (scripts/pdf_print_check.py, pypdf): every page A4 landscape (a
# template's 填表说明 portrait), body text at least 9 pt and nothing under 8 pt, every font a
# named one (宋体/黑体, printed here as Noto Serif/Sans CJK SC through fontconfig/evalkit-cjk.conf;
# LibreOffice runs with zh-CN as its Asian locale, so CJK text gets the Chinese faces).
# Exit status: 0 every workbook converted and printed legibly; 1 at least one failed; 2 usage
# error, no LibreOffice or no pypdf.
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
# $PYTHON: the interpreter with pypdf (default: the checkout's .venv, else python3)
PY=${PYTHON:-$(dirname "$0")/../.venv/bin/python}
[ -x "$PY" ] || PY=$(command -v python3)
if ! "$PY" -c "import pypdf" 2>/dev/null; then
  echo "pypdf not found for $PY; install the dev extras (pip install -e '.[dev]')" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
# 宋体/黑体 -> the SC faces of fonts-noto-cjk (the system config is included first)
export FONTCONFIG_FILE="$HERE/fontconfig/evalkit-cjk.conf"
# A private profile: no clash with a running LibreOffice, no first-start dialogs; Chinese
# as the default (and Asian) locale, so fallback CJK glyphs are the Simplified Chinese ones.
PROFILE=$(mktemp -d)
mkdir -p "$PROFILE/user"
cat >"$PROFILE/user/registrymodifications.xcu" <<'XCU'
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Linguistic/General"><prop oor:name="DefaultLocale_CJK" oor:op="fuse"><value>zh-CN</value></prop></item>
<item oor:path="/org.openoffice.Office.Linguistic/General"><prop oor:name="DefaultLocale" oor:op="fuse"><value>zh-CN</value></prop></item>
</oor:items>
XCU
cleanup() { rm -rf "$PROFILE"; [ "$KEEP" = 1 ] || rm -rf "$OUT"; }
trap cleanup EXIT

# ---------------------------------------------------------------- Word documents (公文), issue 15
# Every .docx under DIR (outputs/<period>/公文/) is converted as well, in one soffice run per
# folder; a document is OK when its PDF appeared, is a PDF, and has A4 pages (595 x 842 pt).
# Needs LibreOffice Writer (libreoffice-writer-nogui); without it the documents are reported
# as not checked and the exit status is 1 if there were any.
check_documents() {
  local docs=() dir rel dest batch f pdf rc size
  mapfile -d '' docs < <(find "$SRC" -type f -name '*.docx' ! -name '~$*' -print0 | sort -z)
  DOC_TOTAL=${#docs[@]}
  DOC_FAILED=0
  [ "$DOC_TOTAL" -eq 0 ] && return 0
  local program
  program=$(dirname "$(readlink -f "$SOFFICE")")
  if ! ls "$program"/libswlo.so >/dev/null 2>&1; then
    echo "FAIL  $DOC_TOTAL .docx not checked: LibreOffice Writer is not installed (libreoffice-writer-nogui)" >&2
    DOC_FAILED=$DOC_TOTAL
    return 0
  fi
  mapfile -t ddirs < <(printf '%s\n' "${docs[@]}" | xargs -d '\n' -n1 dirname | sort -u)
  for dir in "${ddirs[@]}"; do
    rel=${dir#"$SRC"}
    dest="$OUT$rel"
    mkdir -p "$dest"
    batch=()
    for f in "${docs[@]}"; do [ "$(dirname "$f")" = "$dir" ] && batch+=("$f"); done
    # --infilter: a file that is not a Word document is not opened as plain text
    timeout 600 "$SOFFICE" -env:UserInstallation="file://$PROFILE" --headless --norestore \
      --infilter="MS Word 2007 XML" --convert-to pdf --outdir "$dest" "${batch[@]}" >"$PROFILE/doclog.txt" 2>&1
    rc=$?
    for f in "${batch[@]}"; do
      pdf="$dest/$(basename "${f%.docx}").pdf"
      size=""
      if [ -s "$pdf" ] && head -c 5 "$pdf" | grep -q '%PDF-' && command -v pdfinfo >/dev/null; then
        size=$(pdfinfo "$pdf" 2>/dev/null | sed -n 's/^Page size: *\([0-9.]*\) x \([0-9.]*\) pts.*/\1x\2/p')
      fi
      if [ -s "$pdf" ] && head -c 5 "$pdf" | grep -q '%PDF-' \
         && { [ -z "$size" ] || [[ "$size" =~ ^59[45](\.[0-9]+)?x84[12](\.[0-9]+)?$ ]]; }; then
        echo "ok    ${f#"$SRC"/}${size:+ (A4 $size pt)}"
      else
        echo "FAIL  ${f#"$SRC"/} (soffice exit $rc${size:+, page $size pt, not A4})" >&2
        sed 's/^/      /' "$PROFILE/doclog.txt" >&2
        DOC_FAILED=$((DOC_FAILED + 1))
      fi
    done
  done
}
# ---------------------------------------------------------------- end of the Word documents block

mapfile -d '' FILES < <(find "$SRC" -type f -name '*.xlsx' ! -name '~$*' -print0 | sort -z)
mapfile -d '' ANY_DOCX < <(find "$SRC" -type f -name '*.docx' ! -name '~$*' -print0)
if [ ${#FILES[@]} -eq 0 ] && [ ${#ANY_DOCX[@]} -eq 0 ]; then
  echo "no .xlsx or .docx files under $SRC" >&2
  exit 1
fi

failed=0
# One soffice run per folder (starting LibreOffice is the slow part); PDFs keep the subfolder.
DIRS=()
[ ${#FILES[@]} -gt 0 ] && mapfile -t DIRS < <(printf '%s\n' "${FILES[@]}" | xargs -d '\n' -n1 dirname | sort -u)
for dir in "${DIRS[@]}"; do
  rel=${dir#"$SRC"}
  dest="$OUT$rel"
  mkdir -p "$dest"
  batch=()
  for f in "${FILES[@]}"; do [ "$(dirname "$f")" = "$dir" ] && batch+=("$f"); done
  # --infilter: with LibreOffice Writer installed, a file Calc cannot read would otherwise be
  # opened as plain text by Writer and "converted"
  timeout 600 "$SOFFICE" -env:UserInstallation="file://$PROFILE" --headless --norestore \
    --infilter="Calc MS Excel 2007 XML" --convert-to pdf --outdir "$dest" "${batch[@]}" >"$PROFILE/log.txt" 2>&1
  rc=$?
  for f in "${batch[@]}"; do
    pdf="$dest/$(basename "${f%.xlsx}").pdf"
    if [ -s "$pdf" ] && head -c 5 "$pdf" | grep -q '%PDF-'; then
      if "$PY" "$HERE/pdf_print_check.py" "$pdf" | sed "s|^|      |"; [ "${PIPESTATUS[0]}" = 0 ]; then
        echo "ok    ${f#"$SRC"/}"
      else
        echo "FAIL  ${f#"$SRC"/} (printed too small, wrong page or unnamed font)" >&2
        failed=$((failed + 1))
      fi
    else
      echo "FAIL  ${f#"$SRC"/} (soffice exit $rc)" >&2
      sed 's/^/      /' "$PROFILE/log.txt" >&2
      failed=$((failed + 1))
    fi
  done
done

total=${#FILES[@]}
[ "$total" -gt 0 ] && echo "LibreOffice: $((total - failed))/$total workbooks converted to PDF and printed legibly"
check_documents
[ "$DOC_TOTAL" -gt 0 ] && echo "LibreOffice: $((DOC_TOTAL - DOC_FAILED))/$DOC_TOTAL documents converted to PDF"
[ "$KEEP" = 1 ] && echo "PDFs in $OUT"
[ "$failed" -eq 0 ] && [ "$DOC_FAILED" -eq 0 ]
