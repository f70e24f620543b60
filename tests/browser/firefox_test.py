#!/usr/bin/python3
"""Issue 16: the web console in Firefox (headless Firefox ESR, driven over its Marionette port).

Debian 12 packages no geckodriver, so this test speaks Marionette itself: a length-prefixed JSON
protocol on a loopback port Firefox picks (the WebDriver commands Selenium's driver would send).
Against a real controller: a login, the overview, a generation's folder with a file named like
HTML shown as text, a file fetched with the session's cookie and its bytes compared with the
source's (SHA-256 in the page), a recovery page following its server-sent events to the end,
and the pages fitting a tablet's width. Screenshots go to the output folder (firefox-*.png).

Run by ctest: firefox_test.py --dagda BUILD/agent/app/dagda --output DIR
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_test import HOSTILE_NAME, Controller, api, check, make_disk_server, make_file_server  # noqa: E402


class Marionette:
    """Headless Firefox with a fresh profile, and one Marionette session on it."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="dagda-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as prefs:
            prefs.write('user_pref("marionette.port", 0);\n')  # any free port, written to MarionetteActivePort
        self.process = subprocess.Popen(["firefox-esr", "--headless", "--marionette", "--no-remote", "--profile", self.profile, "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "MarionetteActivePort")
        deadline = time.monotonic() + 60
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("Firefox did not open its Marionette port")
            time.sleep(0.1)
        self.socket = socket.create_connection(("127.0.0.1", int(open(port_file).read().strip())), timeout=60)
        self.pending = b""
        self.next_id = 0
        self.read()  # the server's greeting
        self.send("WebDriver:NewSession", {"acceptInsecureCerts": True})  # the controller's own CA

    def read(self):
        while b":" not in self.pending:
            self.pending += self.socket.recv(65536)
        length, rest = self.pending.split(b":", 1)
        while len(rest) < int(length):
            rest += self.socket.recv(65536)
        self.pending = rest[int(length):]
        return json.loads(rest[:int(length)])

    def send(self, command, parameters=None):
        self.next_id += 1
        data = json.dumps([0, self.next_id, command, parameters or {}]).encode()
        self.socket.sendall(str(len(data)).encode() + b":" + data)
        _, _, error, result = self.read()
        if error:
            raise RuntimeError(f"{command}: {error.get('error')}: {error.get('message')}")
        return result.get("value") if isinstance(result, dict) else result

    def script(self, body, *args):
        return self.send("WebDriver:ExecuteScript", {"script": body, "args": list(args)})

    def element(self, css):
        found = self.send("WebDriver:FindElement", {"using": "css selector", "value": css})
        return next(iter(found.values()))

    def wait_for(self, what, condition, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except RuntimeError:
                pass  # not there yet
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")

    def text(self, css):
        return self.script("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", css)

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.send("WebDriver:TakeScreenshot", {"full": False})))

    def quit(self):
        try:
            self.send("Marionette:Quit")
        except Exception:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def run(dagda, output):
    state = tempfile.mkdtemp(prefix="dagda-firefox-test-")
    archives, _ = make_disk_server(dagda, state)
    sources = make_file_server(dagda, state, archives)
    controller = Controller(dagda, os.path.join(state, "controller"), archives)
    firefox = None
    try:
        added = controller.ctl("user", "add", "alice", "--role", "operator", "--password-stdin", stdin="correct horse battery\n")
        check(added.returncode == 0, "a user to log in as")
        check(controller.ctl("hypervisor", "add", "lab", "--uri", "test:///default", "--pool", "default-pool").returncode == 0, "a hypervisor")
        firefox = Marionette()
        firefox.send("WebDriver:Navigate", {"url": controller.url + "/"})
        firefox.wait_for("the login form", lambda: firefox.script("return !document.getElementById('login').hidden"))
        for field, value in (("#login-name", "alice"), ("#login-password", "correct horse battery")):
            firefox.send("WebDriver:ElementSendKeys", {"id": firefox.element(field), "text": value})
        firefox.send("WebDriver:ElementClick", {"id": firefox.element("#login-form button[type=submit]")})
        firefox.wait_for("the session", lambda: "alice (operator)" in firefox.text("#who"))
        firefox.wait_for("the overview's servers", lambda: "files01" in firefox.text("#servers"))
        check("srv01" in firefox.text("#servers"), "Firefox: logged in, the overview lists the servers")
        firefox.screenshot(os.path.join(output, "firefox-overview.png"))

        firefox.send("WebDriver:Navigate", {"url": controller.url + "/#/files/files01/g2.tib/-/%2FWindows%2FSystem32%2Fconfig"})
        firefox.wait_for("the folder's listing", lambda: HOSTILE_NAME in firefox.text("#files"))
        check(firefox.script("return window.pwned === undefined && !document.querySelector('#files img')"),
              "Firefox: a file named like HTML is listed as text and runs nothing")
        firefox.screenshot(os.path.join(output, "firefox-files.png"))
        # The download link's bytes, fetched by the page with its cookie, hashed in the page.
        digest = firefox.send("WebDriver:ExecuteAsyncScript", {"script": """
            const done = arguments[arguments.length - 1];
            fetch('/api/servers/files01/generations/g2.tib/download?path=%2FWindows%2Freport.bin', {credentials: 'same-origin'})
              .then((r) => r.arrayBuffer()).then((b) => crypto.subtle.digest('SHA-256', b))
              .then((d) => done(Array.from(new Uint8Array(d)).map((x) => x.toString(16).padStart(2, '0')).join('')), (e) => done(String(e)));
        """, "args": []})
        check(digest == hashlib.sha256(sources["tuesday"]).hexdigest(), "Firefox: a file of generation 2 arrives with the source's bytes")

        queued = api(controller, "POST", "/api/recoveries", {"server": "srv01", "to": {"vm": {"hypervisor": "lab", "name": "srv01-ff", "direct": True}}})
        firefox.send("WebDriver:Navigate", {"url": controller.url + f"/#/recovery/{queued['id']}"})
        firefox.wait_for("the recovery's end", lambda: "failed" in firefox.text("#recovery-state"), 60)
        check("step_failed direct.restore" in firefox.text("#recovery-log"), "Firefox: the recovery page follows its server-sent events to the end")
        firefox.screenshot(os.path.join(output, "firefox-recovery.png"))

        firefox.send("WebDriver:SetWindowRect", {"width": 768, "height": 1024})
        for page, ready in (("#/overview", "#servers table"), ("#/server/srv01", "#generations table")):
            firefox.send("WebDriver:Navigate", {"url": controller.url + "/" + page})
            firefox.wait_for(page, lambda: firefox.script("return !!document.querySelector(arguments[0])", ready))
            check(firefox.script("return document.documentElement.scrollWidth <= window.innerWidth"), f"Firefox: {page} fits a tablet's width")
        firefox.screenshot(os.path.join(output, "firefox-tablet-server.png"))
        print(f"firefox_test: passed; screenshots in {output}")
        return 0
    except (AssertionError, RuntimeError) as failure:
        print(f"firefox_test: FAILED: {failure!r}", file=sys.stderr)
        with open(os.path.join(state, "controller", "controller.log")) as log:
            print(log.read()[-4000:], file=sys.stderr)
        return 1
    finally:
        if firefox:
            firefox.quit()
        controller.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dagda", required=True)
    parser.add_argument("--output", required=True)
    arguments = parser.parse_args()
    os.makedirs(arguments.output, exist_ok=True)
    sys.exit(run(arguments.dagda, arguments.output))
