"""HTML report -> PDF with headless Chromium, one browser for many pages.

``PdfPrinter`` starts headless Chromium once with ``--remote-debugging-pipe`` (the
DevTools protocol over two inherited pipes: no port, no network) and prints each page with
``Page.printToPDF``: A4, with the page's own ``@page`` margins and margin boxes (the running
title and “第 N 页，共 M 页”, ``html.page_css``); Chromium's header and footer only for a page
without them. Fonts are embedded by Chromium: the CJK glyphs from the TrueType cut of Noto
Sans CJK SC that setup builds (``pdf_fonts``), else from fonts-noto-cjk itself. Starting Chromium is the slow part
(about 1–3 s); a page then takes a fraction of a second. All pages are printed in one tab:
a new tab per page costs a renderer start-up each time (about 0.3 s of CPU, measured). The tab
lays pages out for print in a one-page-wide, 50 px high viewport (see ``_session``).

Which Chromium: the headless shell first (Debian's ``chromium-headless-shell``, the old
headless mode as its own program), then a full browser. Both lay out and print with the same
Blink and Skia, and gave the same text and page images for the June reports; the shell has no
browser window layer and prints in the renderer, where ``chromium --headless`` starts a print
compositor process for every page. Measured on the June reports: 0.18 s of CPU a report
against 0.38 s (a blank page: 0.05 s against 0.21 s).

Offline: the browser is started with networking to other hosts blocked
(``--host-resolver-rules``), no first-run, no extensions, no sync; the reports load nothing
from elsewhere anyway (``html.external_references``) and forbid scripts (their CSP).

``find_chromium()`` is None where no Chromium is installed: ``evalkit run`` then writes no
PDFs and says so; the tests that need it skip with that reason.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import fcntl  # POSIX only: the DevTools pipe is set up on fds 3 and 4
import html
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from evalkit.core.atomic import atomic_write
from evalkit.report.html import PAGE_NUMBERS_MARK
from evalkit.report.pdf_fonts import fontconfig_file

#: Executables tried in order ($EVALKIT_CHROMIUM first): the headless shell, then a full browser.
CHROMIUM_NAMES = ("chromium-headless-shell", "chrome-headless-shell",
                  "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_ENV = "EVALKIT_CHROMIUM"
MM = 1 / 25.4  # inches per mm: printToPDF takes inches
#: What to install where none is found (the printer's error and ``evalkit run``'s note).
INSTALL_HINT = "apt-get install chromium-headless-shell，或运行 scripts/setup.sh"

_HEADER = ('<div style="width:100%;font-size:8pt;color:#555;padding:0 12mm;'
           'font-family:\'evalkit Sans SC\',\'Noto Sans CJK SC\',sans-serif;'
           'display:flex;justify-content:space-between">'
           '<span>{band}</span><span>{title}</span></div>')
_FOOTER = ('<div style="width:100%;font-size:8pt;color:#555;text-align:center;'
           'font-family:\'evalkit Sans SC\',\'Noto Sans CJK SC\',sans-serif">'
           '第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>')


def _print_params(html_path: Path, title: str, band: str) -> dict:
    """printToPDF's parameters. A report's own ``@page`` margin boxes (``html.page_css``) carry
    its running title and page numbers; Chromium's header and footer are drawn only for a page
    without them (one written by an older evalkit): drawing both overlaps the two."""
    params = {"paperWidth": 210 * MM, "paperHeight": 297 * MM, "preferCSSPageSize": True,
              "printBackground": True, "displayHeaderFooter": False,
              # no tagged PDF or outline: building the accessibility tree is most of the cost
              "generateTaggedPDF": False, "generateDocumentOutline": False,
              "marginTop": 16 * MM, "marginBottom": 16 * MM, "marginLeft": 12 * MM, "marginRight": 12 * MM}
    if PAGE_NUMBERS_MARK not in html_path.read_text(encoding="utf-8", errors="replace"):
        params.update(displayHeaderFooter=True, footerTemplate=_FOOTER,
                      headerTemplate=_HEADER.format(band=html.escape(band), title=html.escape(title)))
    return params


def find_chromium() -> str | None:
    """The Chromium executable to use, or None when there is none."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env if shutil.which(env) or Path(env).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class PdfError(RuntimeError):
    """Chromium could not print a page (the message says why, in Chinese)."""


class PdfPrinter:
    """One headless Chromium printing HTML files to PDF. Use as a context manager; thread-safe
    (one page at a time)."""

    def __init__(self, executable: str | None = None, timeout: float = 120.0):
        self.executable = executable or find_chromium()
        if not self.executable:
            raise PdfError(f"未找到 Chromium 浏览器（生成 PDF 需要它：{INSTALL_HINT}）")
        self.timeout = timeout
        self._proc = None
        self._id = 0
        self._lock = threading.Lock()
        self._buffer = b""
        self._profile = None
        self._tab = None  # (targetId, sessionId) of the one tab every page is printed in

    # ------------------------------------------------------------------ process
    def __enter__(self) -> PdfPrinter:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self._proc is not None:
            return
        self._profile = tempfile.mkdtemp(prefix="evalkit-chromium-")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        args = [self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", "--mute-audio",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={self._profile}", "about:blank"]

        def child_fds():  # Chromium reads commands on fd 3 and writes replies on fd 4
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)
            os.closerange(5, os.sysconf("SC_OPEN_MAX"))  # nothing else of ours (the --out lock, pool pipes)
            # killed with the thread that started it; a browser run by a launcher script (Debian's
            # headless shell) exits when its DevTools pipe closes: no orphan browser either way
            if sys.platform.startswith("linux"):
                ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

        env = dict(os.environ)
        conf = fontconfig_file()
        if conf is not None:  # the TrueType cut of the CJK font (report.pdf_fonts): smaller, faster PDFs
            env["FONTCONFIG_FILE"] = str(conf)
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, preexec_fn=child_fds, close_fds=False,
                                      start_new_session=True, env=env)
        os.close(to_child_r)
        os.close(from_child_w)
        self._write, self._read = to_child_w, from_child_r

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of the browser's processes so far (Linux /proc: every
        process of its session), or None where that cannot be read. Its renderer processes
        are not children of this process, so ``resource.RUSAGE_CHILDREN`` would miss them."""
        if self._proc is None or not Path("/proc").is_dir():
            return None
        ticks, sid = 0, self._proc.pid
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 14 and int(fields[3]) == sid:  # field 6, session id
                ticks += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        return ticks / os.sysconf("SC_CLK_TCK")

    def close(self, graceful: bool = True) -> None:
        """Stop the browser: asked to close (``graceful``), else, or when it does not within
        5 s, killed with every process of its session."""
        proc, self._proc = self._proc, None
        self._tab, self._buffer = None, b""
        if proc is not None:
            if graceful:
                with contextlib.suppress(Exception):
                    self._send("Browser.close")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
            # the whole session: Debian's chromium-headless-shell is a shell script that runs
            # the browser as its child, so killing ``proc`` alone could leave the browser behind
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            for fd in (self._write, self._read):
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    # ------------------------------------------------------------------ protocol
    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._write, json.dumps(msg).encode() + b"\0")
        return self._id

    def _next_message(self) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], self.timeout)
            if not ready:  # a page that never finishes loading must not hang the batch
                self.close(graceful=False)
                raise PdfError(f"Chromium 超过 {self.timeout:g} 秒未响应")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise PdfError("Chromium 意外退出")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _call(self, method: str, params: dict | None = None, session: str | None = None,
              wait_event: str | None = None) -> dict:
        """Send a command and return its result; with ``wait_event``, also wait for that event."""
        mid = self._send(method, params, session)
        result, seen = None, wait_event is None
        while result is None or not seen:
            msg = self._next_message()
            if msg.get("id") == mid:
                if "error" in msg:
                    raise PdfError(f"Chromium 打印失败：{msg['error'].get('message')}")
                result = msg.get("result", {})
            elif wait_event and msg.get("method") == wait_event and msg.get("sessionId") == session:
                seen = True
        return result

    def _session(self) -> str:
        """The session of the printing tab, opened on first use."""
        if self._tab is None:
            target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            try:
                session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
                self._call("Page.enable", session=session)
                # laid out for print from the start, in a viewport one A4 page wide and almost no
                # height: the screen frame Chromium paints after each load then costs next to
                # nothing (about 15% of a report's printing CPU, measured); the PDF is the same
                self._call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
                self._call("Emulation.setDeviceMetricsOverride", {"width": 794, "height": 50,
                           "deviceScaleFactor": 1, "mobile": False}, session=session)
            except BaseException:
                with contextlib.suppress(Exception):
                    self._call("Target.closeTarget", {"targetId": target})
                raise
            self._tab = (target, session)
        return self._tab[1]

    def _drop_tab(self) -> None:
        tab, self._tab = self._tab, None
        if tab is not None and self._proc is not None:
            with contextlib.suppress(Exception):
                self._call("Target.closeTarget", {"targetId": tab[0]})

    def print_pdf(self, html_path, pdf_path, title: str = "", band: str = "") -> Path:
        """Print ``html_path`` to ``pdf_path`` (atomically) with the running title and page numbers."""
        html_path = Path(html_path).resolve()
        if not html_path.is_file():  # Chromium would print its own error page instead
            raise PdfError(f"找不到要打印的页面：{html_path}")
        with self._lock:
            self.start()
            session = self._session()
            try:
                self._call("Page.navigate", {"url": html_path.as_uri()}, session=session,
                           wait_event="Page.loadEventFired")
                data = self._call("Page.printToPDF", _print_params(html_path, title, band), session=session)["data"]
            except BaseException:
                self._drop_tab()  # the next page starts in a fresh tab
                raise
        return atomic_write(Path(pdf_path), base64.b64decode(data))
