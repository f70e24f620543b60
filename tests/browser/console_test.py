#!/usr/bin/python3
"""Issue 16: the web console in a real browser (headless Chromium driven by Selenium).

A real controller on loopback, users made with `dagda ctl user add`, then in the browser: a wrong
password refused, a login, the overview, a page reload inside the session, a server's generations,
a recovery to a new VM (its plan, then run, followed on its page to its end), an enrolment whose
token is shown once, a viewer who sees no button to change anything, a name holding HTML shown as
text (never run), the files of a server's generation 2 (a folder browsed, a file downloaded and
its bytes compared with the source, a folder downloaded as a zip, unpacked and compared, a file
name holding HTML shown as text), and logging out.
A screenshot of each page is saved in the output folder (argument --output).

Run by ctest: console_test.py --dagda BUILD/agent/app/dagda --output DIR
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import io
import lzma
import zipfile

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

# A name that would run script if the page ever put a name into HTML.
HOSTILE_NAME = '<img src=x onerror="window.pwned=1">'


class Controller:
    """`dagda controller` on a free loopback port, its state in a temporary folder."""

    def __init__(self, dagda, state_dir, archives, port=0):
        self.dagda = dagda
        os.makedirs(state_dir, exist_ok=True)
        self.state_dir = state_dir
        self.log = open(os.path.join(state_dir, "controller.log"), "a")
        self.process = subprocess.Popen([dagda, "controller", "--state-dir", state_dir, "--port", str(port), "--archives", archives],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.env = dict(os.environ)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the controller stopped before it printed its address")
            if line.startswith("export DAGDA_CTL_"):  # export DAGDA_CTL_CONTROLLER=… DAGDA_CTL_PIN=… DAGDA_CTL_TOKEN_FILE=…
                for key, value in re.findall(r"(DAGDA_CTL_\w+)=(\S+)", line):
                    self.env[key] = value.strip("'\"")
            if all(k in self.env for k in ("DAGDA_CTL_CONTROLLER", "DAGDA_CTL_PIN", "DAGDA_CTL_TOKEN_FILE")):
                break
        self.url = self.env["DAGDA_CTL_CONTROLLER"]

    def ctl(self, *args, stdin=None):
        return subprocess.run([self.dagda, "ctl", *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=60)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Browser:
    def __init__(self, output):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                         "--ignore-certificate-errors", "--no-proxy-server", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run"):
            options.add_argument(argument)
        options.accept_insecure_certs = True  # the controller's own CA, which this browser does not know
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.output = output
        self.shots = 0

    def wait_for(self, condition, seconds=15):
        return WebDriverWait(self.driver, seconds).until(condition)

    def text(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def screenshot(self, name):
        self.shots += 1
        self.driver.save_screenshot(os.path.join(self.output, f"{self.shots:02d}-{name}.png"))

    def log_in(self, name, password):
        self.wait_for(seen.visibility_of_element_located((By.ID, "login-name")))
        for field, value in (("login-name", name), ("login-password", password)):
            element = self.driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        self.driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}")


def shared_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("DAGDA_SHARED_DIR") or os.path.join(here, "..", "..", "..", "shared")


def make_file_server(dagda, state, archives):
    """Server files01: two generations of a Windows-made NTFS volume (../shared's skeleton), the
    second with report.bin changed; a file named like HTML in a folder. Returns the sources' bytes."""
    volume = os.path.join(state, "files01.raw")
    with lzma.open(os.path.join(shared_dir(), "fixtures", "disks", "windows-skeleton-volume.raw.xz")) as packed, open(volume, "wb") as out:
        shutil.copyfileobj(packed, out)
    os.makedirs(os.path.join(archives, "files01"))
    sources = {"monday": os.urandom(1 << 20), "tuesday": os.urandom(900_000), "hostile": b"a file whose name holds HTML\n"}
    for name, data in sources.items():
        with open(os.path.join(state, name), "wb") as f:
            f.write(data)
    ntfscp = lambda source, target: subprocess.run(["ntfscp", "-q", "-f", volume, os.path.join(state, source), target], check=True,
                                                    capture_output=True, timeout=60)
    ntfscp("monday", "/Windows/report.bin")
    ntfscp("hostile", "/Windows/System32/config/" + HOSTILE_NAME)
    g1, g2 = os.path.join(archives, "files01", "g1.tib"), os.path.join(archives, "files01", "g2.tib")
    subprocess.run([dagda, "tib", "capture", "--volume", volume, g1, "--progress", "none"], check=True, capture_output=True, timeout=120)
    ntfscp("tuesday", "/Windows/report.bin")
    subprocess.run([dagda, "tib", "capture", "--volume", volume, g2, "--base", g1, "--progress", "none"], check=True, capture_output=True, timeout=120)
    syslog = subprocess.run(["ntfscat", volume, "/Windows/System32/config/syslog"], check=True, capture_output=True, timeout=60).stdout
    return {**sources, "syslog": syslog}


def downloaded(folder, name, seconds=30):
    """The bytes of `name` once Chromium has finished writing it to `folder`."""
    path = os.path.join(folder, name)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path) and not any(f.endswith(".crdownload") for f in os.listdir(folder)):
            with open(path, "rb") as f:
                return f.read()
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded; {folder} holds {os.listdir(folder)}")


class SlowRangeServer:
    """A plain HTTP server on loopback serving one folder's files with byte ranges, each answer
    held back `delay` seconds: a restore from it runs long enough to be cancelled."""

    def __init__(self, folder, delay):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self, with_body):
                time.sleep(delay)
                path = os.path.join(folder, os.path.basename(self.path))
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                size = os.path.getsize(path)
                start, end = 0, size - 1
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if match:
                    start = int(match.group(1))
                    end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
                self.send_response(206 if match else 200)
                if match:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
                self.send_header("Content-Length", str(end - start + 1))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if with_body:
                    with open(path, "rb") as f:
                        f.seek(start)
                        self.wfile.write(f.read(end - start + 1))

            def do_GET(self):
                self.answer(True)

            def do_HEAD(self):
                self.answer(False)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def api(controller, method, path, body=None):
    """A call with the operator's token, as a script would make it."""
    import json
    import ssl
    import urllib.request
    with open(controller.env["DAGDA_CTL_TOKEN_FILE"]) as f:
        token = f.read().strip()
    context = ssl.create_default_context(cafile=os.path.join(controller.state_dir, "tls", "ca.pem"))
    request = urllib.request.Request(controller.url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.loads(answer.read())


def disk_table(image):
    """The partition table as sfdisk reads it: label, its id, and each partition's start, size and type."""
    import json
    table = json.loads(subprocess.run(["sfdisk", "--json", image], check=True, capture_output=True, text=True, timeout=60).stdout)["partitiontable"]
    return table["label"], table.get("id"), [(p["start"], p["size"], p["type"]) for p in table.get("partitions", [])]


def make_disk_server(dagda, state):
    """Server srv01 with one generation: an 8 MiB disk with one partition, captured by the real
    dagda into STATE/archives. Returns the archive folder and the disk image."""
    archives = os.path.join(state, "archives")
    os.makedirs(os.path.join(archives, "srv01"))
    disk = os.path.join(state, "disk.img")
    with open(disk, "wb") as image:
        image.truncate(8 << 20)
    subprocess.run(["sfdisk", "-q", disk], input=",4M,L\n", text=True, check=True, timeout=60)
    subprocess.run([dagda, "tib", "capture", "--disk", disk, os.path.join(archives, "srv01", "monday.tib"), "--progress", "none"],
                   check=True, capture_output=True, timeout=120)
    return archives, disk


def run(dagda, output):
    state = tempfile.mkdtemp(prefix="dagda-console-test-")
    archives, disk = make_disk_server(dagda, state)
    sources = make_file_server(dagda, state, archives)
    downloads = os.path.join(state, "downloads")
    os.makedirs(downloads)
    controller = Controller(dagda, os.path.join(state, "controller"), archives)
    browser = None
    agent = None
    try:
        for name, role, password in (("alice", "operator", "correct horse battery"), ("bob", "viewer", "viewer's own password")):
            added = controller.ctl("user", "add", name, "--role", role, "--password-stdin", stdin=password + "\n")
            check(added.returncode == 0, f"dagda ctl user add {name} ({added.stderr.strip()})")
        check(controller.ctl("enrol", "srv01").returncode == 0, "an enrolment to show")
        # libvirt's own test driver (in-process, no daemon): a real hypervisor connection whose pool
        # is not on this machine, so a direct recovery makes its disk there, then fails to write it.
        added = controller.ctl("hypervisor", "add", "lab", "--uri", "test:///default", "--pool", "default-pool")
        check(added.returncode == 0, f"a hypervisor to recover to ({added.stderr.strip()})")
        browser = Browser(output)
        driver = browser.driver
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})

        driver.get(controller.url + "/")
        browser.screenshot("login")
        browser.log_in("alice", "wrong horse")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "login-error"), "wrong name or password"))
        check(driver.find_element(By.ID, "page").get_attribute("hidden") is not None, "a wrong password is refused and shows nothing")
        browser.screenshot("login-refused")

        # A hostile name tried at the login: the audit log later shows it, as text.
        browser.log_in(HOSTILE_NAME, "anything at all")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "login-error"), "wrong name or password"))

        browser.log_in("alice", "correct horse battery")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "who"), "alice (operator)"))
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "machines"), "No agent"))
        check("Servers" in browser.text("#servers") and "Hypervisors" in browser.text("#hypervisors"), "the overview shows its sections")
        cookie = [c for c in driver.get_cookies() if c["name"] == "dagda_session"]
        check(len(cookie) == 1 and cookie[0].get("httpOnly") and cookie[0].get("secure") and cookie[0].get("sameSite") == "Strict",
              "the session cookie is HttpOnly, Secure and SameSite=Strict")
        check(driver.execute_script("return document.cookie").find("dagda_session") < 0, "the page's script cannot read the session cookie")
        browser.screenshot("overview")

        driver.refresh()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "who"), "alice (operator)"))
        check(driver.find_element(By.ID, "login").get_attribute("hidden") is not None, "a reloaded page stays logged in")

        driver.get(controller.url + "/#/audit")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "audit-log"), HOSTILE_NAME))
        check(driver.execute_script("return window.pwned === undefined"), "a name holding HTML is shown as text and runs nothing")
        check(not driver.find_elements(By.CSS_SELECTOR, "#audit-log img"), "no element is made from a name")
        browser.screenshot("audit")

        driver.get(controller.url + "/#/users")
        browser.wait_for(seen.visibility_of_element_located((By.ID, "new-user-name")))
        browser.screenshot("users-operator")

        # A server's generations, reached from the overview.
        driver.get(controller.url + "/#/overview")
        browser.wait_for(seen.element_to_be_clickable((By.LINK_TEXT, "srv01"))).click()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "generations"), "monday.tib"))
        check("full" in browser.text("#generations"), "the server page lists its generation")
        check(driver.find_elements(By.ID, "recover-name"), "an operator is offered Recover to a new VM")
        browser.screenshot("server")

        # Recover to a new VM: the plan first, then run once asked again; the recovery page follows it live.
        browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "#recover-hypervisor option"))
        driver.find_element(By.ID, "recover-direct").click()
        driver.find_element(By.CSS_SELECTOR, "#page form button[type=submit]").click()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "recover-plan"), "1. hypervisor.check"))
        check("to a new VM srv01-recovered on lab (direct mode)" in browser.text("#recover-plan"), "the plan is shown before anything runs")
        check(controller.ctl("recovery", "recovery-1").returncode != 0, "showing the plan queued nothing")
        browser.screenshot("recover-plan")
        driver.find_element(By.ID, "recover-run").click()
        browser.wait_for(seen.alert_is_present()).accept()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "recovery-state"), "failed"), 60)
        check("direct.restore failed" in browser.text("#recovery-state"), "the recovery page shows how it ended, and why")
        steps = driver.find_elements(By.CSS_SELECTOR, "#recovery-steps li")
        check(len(steps) == 4 and "done in" in steps[0].text and "done in" in steps[1].text, "each step done shows its duration")
        check("failed" in steps[2].text and "to do" in steps[3].text, "the step that failed says so, and the next was not run")
        check(driver.find_elements(By.CSS_SELECTOR, "#recovery-steps li.done progress[value='1']"), "a step done fills its progress bar")
        check("step_failed direct.restore" in browser.text("#recovery-log"), "the log shows the agent's events")
        check(driver.execute_script("return performance.getEntriesByType('resource').some((r) => r.name.endsWith('/api/recoveries/recovery-1/stream'))"),
              "the recovery page follows the recovery by server-sent events")
        browser.screenshot("recovery")

        # Files of generation 2: browse down a folder, download a file and a folder as a zip.
        driver.get(controller.url + "/#/server/files01")
        browser.wait_for(seen.element_to_be_clickable((By.CSS_SELECTOR, "a[aria-label='files of g2.tib']"))).click()
        browser.wait_for(seen.element_to_be_clickable((By.LINK_TEXT, "Windows/"))).click()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "files"), "report.bin"))
        check("879 KiB" in browser.text("#files") or "878.9 KiB" in browser.text("#files"), "generation 2 lists report.bin at its new size")
        driver.find_element(By.CSS_SELECTOR, "a[aria-label='download report.bin']").click()
        check(downloaded(downloads, "report.bin") == sources["tuesday"], "a file downloaded from generation 2 has the source's bytes")
        browser.wait_for(seen.element_to_be_clickable((By.LINK_TEXT, "System32/"))).click()
        browser.wait_for(seen.element_to_be_clickable((By.LINK_TEXT, "config/"))).click()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "files"), HOSTILE_NAME))
        check(driver.execute_script("return window.pwned === undefined") and not driver.find_elements(By.CSS_SELECTOR, "#files img"),
              "a file named like HTML is listed as text and runs nothing")
        check("Windows / System32 / config" in browser.text("#files-crumbs"), "the breadcrumbs name the folder")
        browser.screenshot("files")
        driver.find_element(By.CSS_SELECTOR, "#bring-back-form button[type=submit]").click()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "bring-back-message"), "Choose the files"))
        check(not any("restore-files" in e["action"] for e in api(controller, "GET", "/api/audit")["entries"]),
              "bringing back with nothing chosen says what to do, and sends nothing")
        driver.find_element(By.CSS_SELECTOR, "#files-crumbs a:nth-of-type(2)").click()  # back up to /Windows
        browser.wait_for(seen.element_to_be_clickable((By.CSS_SELECTOR, "a[aria-label='System32 as zip']"))).click()
        unpacked = os.path.join(state, "unpacked")
        with zipfile.ZipFile(io.BytesIO(downloaded(downloads, "System32.zip"))) as archive:
            archive.extractall(unpacked)
        for name, source in (("syslog", "syslog"), (HOSTILE_NAME, "hostile")):
            with open(os.path.join(unpacked, "System32", "config", name), "rb") as f:
                check(f.read() == sources[source], f"the folder's zip holds {name} with the source's bytes")
        # Generation 1 through the chooser: the old report.bin.
        Select(driver.find_element(By.ID, "files-generation")).select_by_value("g1.tib")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "files"), "1.0 MiB"))
        os.remove(os.path.join(downloads, "report.bin"))
        driver.find_element(By.CSS_SELECTOR, "a[aria-label='download report.bin']").click()
        check(downloaded(downloads, "report.bin") == sources["monday"], "generation 1's report.bin is the older file")

        # Enrol a machine: its token is shown once, as text.
        driver.get(controller.url + "/#/enrolments")
        browser.wait_for(seen.visibility_of_element_located((By.ID, "enrol-name"))).send_keys("srv02")
        driver.find_element(By.CSS_SELECTOR, "#page form button[type=submit]").click()
        browser.wait_for(lambda d: re.fullmatch(r"[0-9a-f]{64}", d.find_element(By.ID, "enrol-token").text))
        token = driver.find_element(By.ID, "enrol-token").text
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "enrolment-list"), "srv02"))
        browser.screenshot("enrolments")
        driver.refresh()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "enrolment-list"), "srv02"))
        check(driver.find_element(By.ID, "enrol-token").text == "", "the token is not shown again")

        # The machine boots its agent with that token (an image file is its disk), and appears.
        token_file = os.path.join(state, "srv02.token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        target = os.path.join(state, "target.img")
        with open(target, "wb") as image:
            image.truncate(8 << 20)
        agent_log = open(os.path.join(state, "agent.log"), "w")
        agent = subprocess.Popen([dagda, "agent", "--state-dir", os.path.join(state, "agent"), "--disk", target, "--machine-id", "browser-test",
                                  "--controller", controller.url.replace("https://", "wss://"), "--enrolment", "srv02", "--token-file", token_file,
                                  "--pin", controller.env["DAGDA_CTL_PIN"]],
                                 env={**os.environ, "DAGDA_RUN_DIR": os.path.join(state, "agent-run")}, stdout=agent_log, stderr=agent_log)
        driver.get(controller.url + "/#/overview")
        browser.wait_for(lambda d: d.refresh() or "online" in d.find_element(By.ID, "machines").text, 30)
        check("srv02" in browser.text("#machines"), "the enrolled machine's agent appears online on the overview")
        browser.screenshot("machine-online")

        # Recover onto a machine: the agent's disk chosen by what it is, the plan shown, then run; the
        # job's page follows each step's progress bar to the end.
        driver.get(controller.url + "/#/server/srv01")
        browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "#machine-disk option"))
        check(target in browser.text("#machine-disk") and "8.0 MiB" in browser.text("#machine-disk"), "the disk is offered by its size and identity")
        driver.find_element(By.CSS_SELECTOR, "#machine-form button[type=submit]").click()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "machine-plan"), "image.restore"))
        check(api(controller, "GET", "/api/jobs")["jobs"] == [], "showing the plan queued nothing")
        browser.screenshot("machine-plan")
        driver.find_element(By.ID, "machine-run").click()
        browser.wait_for(seen.alert_is_present()).accept()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "job-state"), "succeeded"), 120)
        bars = driver.find_elements(By.CSS_SELECTOR, "#job-steps progress")
        check(bars and all(b.get_attribute("value") == b.get_attribute("max") for b in bars), "every step's progress bar reached its end")
        check("done in" in browser.text("#job-steps") and "job_finished" in browser.text("#job-log"), "each step shows its duration, and the log the end")
        browser.screenshot("job")
        check(disk_table(target) == disk_table(disk), "the machine's disk holds the server's partition table, identity and all")

        # Cancel a running job: a restore from a slow server, cancelled from its page.
        slow = SlowRangeServer(os.path.join(archives, "srv01"), 0.5)
        try:
            plan = os.path.join(state, "slow-plan.json")
            made = subprocess.run([dagda, "plan", "from-archive", slow.url + "/monday.tib", "--to", target, "-o", plan], capture_output=True,
                                  text=True, timeout=120)
            check(made.returncode == 0, f"a plan restoring from the slow server ({made.stderr.strip()})")
            import json
            with open(plan) as f:
                job = api(controller, "POST", "/api/jobs", {"agent": api(controller, "GET", "/api/agents")["agents"][0]["id"], "plan": json.load(f)})
            driver.get(controller.url + f"/#/job/{job['id']}")
            browser.wait_for(seen.text_to_be_present_in_element((By.ID, "job-state"), "running"), 60)
            browser.wait_for(seen.element_to_be_clickable((By.ID, "job-cancel"))).click()
            browser.wait_for(seen.alert_is_present()).accept()
            browser.wait_for(seen.text_to_be_present_in_element((By.ID, "job-state"), "cancelled"), 60)
            check(api(controller, "GET", f"/api/jobs/{job['id']}")["state"] == "cancelled", "a running job cancelled from its page ends cancelled")
            browser.screenshot("job-cancelled")
        finally:
            slow.stop()
        agent.terminate()
        agent.wait(timeout=30)

        # A job's page across a controller restart: the page keeps its session (kept in the
        # database) and its event stream reconnects by itself, then shows what happened meanwhile.
        import json
        with open(plan) as f:
            waiting = api(controller, "POST", "/api/jobs", {"agent": api(controller, "GET", "/api/agents")["agents"][0]["id"], "plan": json.load(f)})
        driver.get(controller.url + f"/#/job/{waiting['id']}")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "job-state"), "queued"))
        port = int(controller.url.rsplit(":", 1)[1])
        controller.stop()
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "job-state"), "cannot be reached"), 20)
        browser.screenshot("job-controller-down")
        controller = Controller(dagda, os.path.join(state, "controller"), archives, port)
        api(controller, "POST", f"/api/jobs/{waiting['id']}/cancel")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "job-state"), "cancelled"), 30)
        check(driver.find_element(By.ID, "login").get_attribute("hidden") is not None,
              "across a controller restart the job's page stays logged in and shows what happened meanwhile")

        # A tablet's window: every page fits its width (nothing to scroll sideways).
        driver.set_window_size(768, 1024)
        for page, ready in (("#/overview", "servers"), ("#/server/srv01", "generations"), (f"#/job/{job['id']}", "job-steps"),
                            ("#/files/files01/g2.tib/-/%2FWindows", "files")):
            driver.get(controller.url + "/" + page)
            browser.wait_for(seen.presence_of_element_located((By.ID, ready)))
            time.sleep(0.5)
            check(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), f"{page} fits a tablet's width")
        browser.screenshot("tablet-files")
        driver.set_window_size(1280, 900)

        # Keyboard only: tab to the log out button and press it.
        logout = driver.find_element(By.ID, "logout")
        logout.send_keys("\n")
        browser.wait_for(seen.visibility_of_element_located((By.ID, "login-name")))
        driver.refresh()
        browser.wait_for(seen.visibility_of_element_located((By.ID, "login-name")))
        check(driver.find_element(By.ID, "page").get_attribute("hidden") is not None and not driver.find_elements(By.CSS_SELECTOR, "#page h1"),
              "logged out, and a reload does not log in again")

        browser.log_in("bob", "viewer's own password")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "who"), "bob (viewer)"))
        driver.get(controller.url + "/#/users")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "user-list"), "alice"))
        check(not driver.find_elements(By.ID, "new-user-name"), "a viewer is offered no form to add users")
        check(not driver.find_elements(By.XPATH, "//button[starts-with(text(), 'Remove')]"), "nor a button to remove one")
        driver.get(controller.url + "/#/server/srv01")
        browser.wait_for(seen.text_to_be_present_in_element((By.ID, "generations"), "monday.tib"))
        check(not driver.find_elements(By.ID, "recover-name"), "a viewer is offered no recovery button")
        check(not driver.find_elements(By.LINK_TEXT, "Browse files"), "nor the server's files")
        browser.screenshot("users-viewer")
        print(f"console_test: passed; screenshots in {output}")
        return 0
    except (AssertionError, TimeoutException) as failure:
        if browser:
            browser.screenshot("failure")
            print(browser.driver.page_source[:4000], file=sys.stderr)
        print(f"console_test: FAILED: {failure!r}", file=sys.stderr)
        for name in (os.path.join("controller", "controller.log"), "agent.log"):
            if os.path.exists(os.path.join(state, name)):
                with open(os.path.join(state, name)) as log:
                    print(f"--- {name}:\n" + log.read()[-4000:], file=sys.stderr)
        return 1
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait()
        if browser:
            browser.driver.quit()
        controller.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dagda", required=True)
    parser.add_argument("--output", required=True)
    arguments = parser.parse_args()
    os.makedirs(arguments.output, exist_ok=True)
    for old in os.listdir(arguments.output):
        if old.endswith(".png"):
            os.remove(os.path.join(arguments.output, old))
    sys.exit(run(arguments.dagda, arguments.output))
