"""Drives the page in Debian's headless Chromium through chromedriver.

Browser starts a fresh Chromium (its own profile in a temporary folder)
with the browser console recorded, and knows how to read the page the way
a user sees it: the rows of the task list, their bars, states and buttons.
It ends only the processes it started, by pid.
"""

import os
import re
import shutil
import signal
import tempfile
import time

from pylib.procs import pid_alive, tree
from pylib.wait import wait_for

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
LOAD_TIMEOUT = 20       # s, one page load


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromedriver_path():
    return (shutil.which("chromedriver")
            or next((p for p in ("/usr/bin/chromedriver",
                                 "/usr/lib/chromium/chromedriver")
                     if os.access(p, os.X_OK)), None))


def missing_tools():
    """What the browser tests need and this machine lacks (a list)."""
    out = []
    if chromium_path() is None:
        out.append("chromium (apt-get install chromium)")
    if chromedriver_path() is None:
        out.append("chromedriver (apt-get install chromium-driver)")
    return out


# Every row of the task list as the user sees it. One script, so that a
# row is read in one go and cannot change half-way through.
ROWS_JS = """
return Array.from(document.querySelectorAll('#active > li, #recent > li'))
  .map(li => {
    const bar = li.querySelector('progress');
    const q = s => li.querySelector(s);
    return {
      id: Number(li.dataset.id), list: li.parentElement.id,
      name: q('.task-name').textContent, sub: q('.task-sub').textContent,
      state: q('.state-text').textContent,
      value: bar.hasAttribute('value') ? bar.value : null, max: bar.max,
      role: bar.getAttribute('role') || 'progressbar',
      pct: q('.pct').textContent, message: q('.message').textContent,
      time: q('.time').textContent,
      stop: !q('.stop').hidden && q('.stop').offsetParent !== null,
      remove: !q('.remove').hidden && q('.remove').offsetParent !== null,
      rerun: !q('.rerun').hidden && q('.rerun').offsetParent !== null,
    };
  });
"""


class Browser:
    """One headless Chromium with its own profile, and its console log.

    allow(regex): a console entry the test expects (a 422 it provoked,
    the refused connections of a restart); check_console() fails on any
    other SEVERE entry."""

    def __init__(self, width=1280, height=900):
        self.tmp = tempfile.mkdtemp(prefix="hourglass-browser-")
        self.log = []           # every console entry read so far
        self.allowed = []       # (compiled regex, why)
        self.driver = None
        self.pids = []
        o = webdriver.ChromeOptions()
        o.binary_location = chromium_path()
        for a in CHROME_FLAGS:
            o.add_argument(a)
        o.add_argument("--user-data-dir=" + os.path.join(self.tmp,
                                                         "profile"))
        o.add_argument("--window-size=%d,%d" % (width, height))
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(chromedriver_path(),
                          log_path=os.path.join(self.tmp,
                                                "chromedriver.log"))
        try:
            self.driver = webdriver.Chrome(service=service, options=o)
        except Exception:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        self.service = service
        self.driver.set_page_load_timeout(LOAD_TIMEOUT)
        self.driver.set_script_timeout(10)
        try:
            self.pids = [service.process.pid]
        except AttributeError:
            self.pids = []
        self.srv = None
        Browser.live.add(self)

    live = set()        # open browsers, so run.py can close them at exit

    # -- life cycle

    def close(self):
        """Quits Chromium and chromedriver; kills by pid what is left."""
        Browser.live.discard(self)
        if self.driver is not None:
            pids = tree(self.pids[0]) if self.pids else []
            driver, self.driver = self.driver, None
            try:
                driver.quit()
            except Exception:
                pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(
                    pid_alive(p) for p in pids):
                time.sleep(0.05)
            for p in pids:
                if pid_alive(p):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kill(self):
        """From another thread, when a test overran its deadline: ends
        chromedriver and Chromium at once, which makes any call stuck in
        them fail."""
        for p in tree(self.pids[0]) if self.pids else []:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass

    # -- pages

    def open(self, srv, path="/"):
        self.srv = srv
        self.driver.get("http://127.0.0.1:%d%s" % (srv.port, path))
        # The page has loaded its kinds and its first list.
        wait_for(lambda: self.js("return document.querySelector("
                                 "'#kinds form') !== null && document"
                                 ".querySelector('#conn').dataset.mode"
                                 " === 'live'"), 15,
                 what="the page to list the kinds and go live")
        return self

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def rows(self):
        return self.js(ROWS_JS)

    def row(self, tid):
        for r in self.rows():
            if r["id"] == tid:
                return r
        return None

    def wait_row(self, tid, cond=lambda r: True, timeout=15, what=None):
        """Waits until task tid has a row and cond(row); returns the row."""
        def check():
            r = self.row(tid)
            return r if r is not None and cond(r) else None
        return wait_for(check, timeout, interval=0.02,
                        what=what or "a row for task %d" % tid)

    def form(self, kind):
        return self.find('form[data-kind="%s"]' % kind)

    def fill(self, kind, values):
        """Types values into the kind's form, by parameter name."""
        form = self.form(kind)
        for name, v in values.items():
            el = form.find_element(By.CSS_SELECTOR, '[name="%s"]' % name)
            if el.get_attribute("type") == "checkbox":
                if bool(el.is_selected()) != bool(v):
                    el.click()
            elif el.tag_name == "select":
                el.find_element(By.CSS_SELECTOR,
                                'option[value="%s"]' % v).click()
            else:
                el.clear()
                el.send_keys(str(v))
        return form

    def mode(self):
        return self.js("return document.querySelector('#conn')"
                       ".dataset.mode")

    def color_scheme(self, scheme):
        """Emulates prefers-color-scheme: "light" or "dark"."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme",
                          "value": scheme}]})

    def size(self, width, height):
        """Makes the viewport (not the window) width x height."""
        self.driver.set_window_size(width, height)
        dw, dh = self.js("return [window.outerWidth - window.innerWidth,"
                         " window.outerHeight - window.innerHeight]")
        if dw or dh:
            self.driver.set_window_size(width + dw, height + dh)

    def phone(self, width=390, height=844):
        """Emulates a phone's screen (a window cannot be this narrow)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 2,
            "mobile": True})

    def screenshot(self, path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        self.driver.save_screenshot(path)
        return path

    # -- the console

    def allow(self, pattern, why):
        self.allowed.append((re.compile(pattern), why))

    def read_console(self):
        try:
            self.log += self.driver.get_log("browser")
        except WebDriverException:
            pass
        return self.log

    def console_errors(self):
        """SEVERE console entries no allow() pattern explains."""
        return [e for e in self.read_console()
                if e.get("level") == "SEVERE" and not any(
                    rx.search(e.get("message", "")) for rx, _ in
                    self.allowed)]

    def check_console(self):
        bad = self.console_errors()
        assert not bad, "errors in the browser's console:\n" + "\n".join(
            "  [%s] %s" % (e.get("source"), e.get("message")) for e in bad)


def network_error(path, status):
    """A console pattern for the browser's own report of an HTTP error
    status on path (Chromium logs every 4xx/5xx a page fetches)."""
    return (r"%s(\?\S*)? - Failed to load resource: the server responded"
            r" with a status of %d\b" % (re.escape(path), status))

