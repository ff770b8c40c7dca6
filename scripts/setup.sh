#!/usr/bin/env bash
# Set up evalkit on a fresh Debian machine with Python 3.11, pip and apt only.
# Idempotent: a second run only checks. Creates ./.venv and installs a CJK font.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# Chinese chart labels need a CJK font that matplotlib can find (fonts-noto-cjk), and
# fallbacks for what it lacks: 生僻字 of the CJK extensions (fonts-hanazono: HanaMinA/B)
# and emoji and symbols (fonts-symbola). See evalkit.report.charts.FALLBACK_FAMILIES.
FONTS="fonts-noto-cjk fonts-hanazono fonts-symbola fontconfig"
if ! (command -v fc-list >/dev/null && fc-list : family | grep -q "Noto Sans CJK" \
      && fc-list : family | grep -q "HanaMinB" && fc-list : family | grep -q "Symbola"); then
  echo "[setup] installing fonts (apt): $FONTS"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $FONTS >/dev/null
  rm -f "${MPLCONFIGDIR:-$HOME/.config/matplotlib}"/fontlist-*.json "$HOME"/.cache/matplotlib/fontlist-*.json
fi

# The PDF of every report (evalkit run; --no-pdf skips them) is printed by Chromium's headless shell
# (evalkit.report.pdf; about half the CPU of `chromium --headless`, same pages), also where a
# full Chromium is already installed. tests/test_pdf.py skips without a Chromium, so CI
# (.ci/run -> scripts/test.sh -> here) installs it.
# EVALKIT_NO_CHROMIUM=1 skips it (evalkit run then writes no PDFs and says so).
if [ "${EVALKIT_NO_CHROMIUM:-0}" != "1" ] && ! command -v chromium-headless-shell >/dev/null \
    && ! command -v chrome-headless-shell >/dev/null; then
  echo "[setup] installing chromium-headless-shell (apt), for the report PDFs"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
         $SUDO apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null; }; then
    # a full browser still prints the same PDFs (about twice the CPU): setup goes on with it
    if [ -n "${EVALKIT_CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
        || command -v google-chrome >/dev/null; then
      echo "[setup] warning: chromium-headless-shell could not be installed; the PDFs use the installed Chromium"
    else
      echo "[setup] error: chromium-headless-shell could not be installed (EVALKIT_NO_CHROMIUM=1 skips the PDFs)" >&2
      exit 1
    fi
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv"
  "$PY" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.evalkit-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[setup] installing evalkit and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  .venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
  touch "$stamp"
fi
# Analysts sit offline: JupyterLab neither asks about nor fetches Jupyter news, nor checks for
# updates, in this environment (page_config.json, overrides.json, server config under .venv).
.venv/bin/python scripts/jupyter_offline.py "$(.venv/bin/python -c 'import sys; print(sys.prefix)')" >/dev/null
# The PDFs embed a TrueType cut of Noto Sans CJK SC (evalkit.report.pdf_fonts): Chromium draws
# the CFF original as Type 3 glyphs and prints each report about a third slower. Built once
# (about 45 s), then only checked; seen only by the printer's Chromium (its own FONTCONFIG_FILE).
if [ "${EVALKIT_NO_CHROMIUM:-0}" != "1" ]; then
  .venv/bin/python -m evalkit.report.pdf_fonts
fi
# matplotlib caches its font list: rebuild it if it was built before the font came.
.venv/bin/python -c "import evalkit.report.charts as c; c.check_cjk_font()" 
echo "[setup] ready: .venv/bin/evalkit"
