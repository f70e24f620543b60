#!/usr/bin/python3
"""Issue 16: the console's buttons that need a real recovery site, pushed in a real browser.

The hypervisor test that runs this (tests/integration/hypervisor/ConsoleBrowserTests.cpp) makes
the site: libvirtd with a local dir pool, a controller serving a Windows server's backup, an
operator account. This script is only the person at the browser (headless Chromium, Selenium):

  recover     log in, open the server's page, ask for "Recover to a new VM" in direct mode, read
              the plan, run it, and follow the recovery's page until it succeeded: every step done,
              and the recovery time achieved shown.
  bring-back  log in, open a generation's folder, tick the files named, choose the recovery's VM
              under "Bring these back", confirm, and wait for the page to say what came back.
  watch       log in, open the page of a recovery pushed elsewhere (waiting for it to exist),
              and follow it to succeeded, keeping every state of its running step's progress bar
              and words as the page redraws them: the progress of the helper's own steps must
              have shown (done of total, rate), live.

The operator's password is read from standard input (never an argument, which `ps` shows). Exit
code 0 when every check held, 1 otherwise (the reason on standard error); a screenshot of each
page goes to --output.
"""

import argparse
import os
import sys
import time
from urllib.parse import quote

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select

from console_test import Browser, check


def logged_in(arguments, password):
    browser = Browser(arguments.output)
    browser.driver.get(arguments.url + "/")
    browser.log_in(arguments.user, password)
    browser.wait_for(seen.text_to_be_present_in_element((By.ID, "who"), f"{arguments.user} (operator)"))
    return browser


def recover(browser, arguments):
    driver = browser.driver
    driver.get(f"{arguments.url}/#/server/{quote(arguments.server, safe='')}")
    browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, f"#recover-hypervisor option[value='{arguments.hypervisor}']"))
    Select(driver.find_element(By.ID, "recover-hypervisor")).select_by_value(arguments.hypervisor)
    for field, value in (("recover-name", arguments.vm), ("recover-memory", "512")):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "recover-direct").click()
    driver.find_element(By.ID, "recover-name").find_element(By.XPATH, "ancestor::form//button[@type='submit']").click()
    browser.wait_for(seen.text_to_be_present_in_element((By.ID, "recover-plan"), "direct.restore"))
    check(f"to a new VM {arguments.vm} on {arguments.hypervisor} (direct mode)" in browser.text("#recover-plan"), "the plan names the new VM first")
    browser.screenshot("site-recover-plan")
    driver.find_element(By.ID, "recover-run").click()
    browser.wait_for(seen.alert_is_present()).accept()
    browser.wait_for(seen.text_to_be_present_in_element((By.ID, "recovery-state"), "succeeded"), 240)
    steps = driver.find_elements(By.CSS_SELECTOR, "#recovery-steps li")
    check(steps and all("done in" in step.text for step in steps), "every step of the recovery is done, with its duration")
    check(all(bar.get_attribute("value") == "1" for bar in driver.find_elements(By.CSS_SELECTOR, "#recovery-steps progress")),
          "every step's progress bar is full")
    browser.wait_for(seen.text_to_be_present_in_element((By.ID, "recovery-time"), "Recovery time achieved"))
    check("recovery_finished" in browser.text("#recovery-log"), "the log shows the recovery's end")
    browser.screenshot("site-recovered")
    print(f"recovery_site: {driver.current_url.rsplit('/', 1)[1]} succeeded")


def bring_back(browser, arguments):
    driver = browser.driver
    place = "/".join(quote(part, safe="") for part in (arguments.server, arguments.generation, arguments.volume, arguments.folder))
    driver.get(f"{arguments.url}/#/files/{place}")
    for name in arguments.pick:
        browser.wait_for(seen.element_to_be_clickable((By.CSS_SELECTOR, f"#files input.pick[aria-label='choose {name}']"))).click()
    browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, f"#bring-back-recovery option[value='{arguments.recovery}']"))
    Select(driver.find_element(By.ID, "bring-back-recovery")).select_by_value(arguments.recovery)
    browser.screenshot("site-bring-back-chosen")
    driver.find_element(By.CSS_SELECTOR, "#bring-back-form button[type=submit]").click()
    question = browser.wait_for(seen.alert_is_present())
    check(f"Copy {len(arguments.pick)} item(s) of {arguments.generation}" in question.text, f"the page asks once before it copies ({question.text})")
    question.accept()
    browser.wait_for(seen.text_to_be_present_in_element((By.ID, "bring-back-message"), "Brought back onto"), 120)
    said = browser.text("#bring-back-message")
    answer = driver.find_element(By.ID, "bring-back-message")
    check(driver.execute_script("const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;", answer),
          "the answer is said where the button is, in view")
    for name in arguments.pick:
        check(name in said, f"the page says {name} came back ({said})")
    browser.screenshot("site-brought-back")
    print(f"recovery_site: {said}")


WATCH_STEPS = """
window.dagdaSeen = [];
new MutationObserver(() => {
  for (const step of document.querySelectorAll('#recovery-steps li.running')) {
    const bar = step.querySelector('progress');
    const seen = { text: step.textContent, max: Number(bar.max), value: Number(bar.value) };
    const last = window.dagdaSeen[window.dagdaSeen.length - 1];
    if (!last || last.text !== seen.text) window.dagdaSeen.push(seen);
  }
}).observe(document.body, { childList: true, subtree: true, characterData: true });
"""


def watch(browser, arguments):
    driver = browser.driver
    page = f"{arguments.url}/#/recovery/{quote(arguments.recovery, safe='')}"
    deadline = time.monotonic() + 120
    while not driver.find_elements(By.CSS_SELECTOR, "#recovery-steps li"):  # pushed by someone else, maybe not yet
        check(time.monotonic() < deadline, f"{arguments.recovery} appeared within 2 minutes")
        driver.get(page)
        driver.refresh()
        time.sleep(1)
    driver.execute_script(WATCH_STEPS)
    browser.wait_for(seen.text_to_be_present_in_element((By.ID, "recovery-state"), "succeeded"), arguments.seconds)
    seen_states = driver.execute_script("return window.dagdaSeen")
    for state in seen_states:
        print(f"recovery_site: seen running: {state['text']} [{state['value']:g} of {state['max']:g}]")
    live = [s for s in seen_states if "helper: image.restore: " in s["text"] and " of " in s["text"] and 0 < s["value"] <= s["max"] and s["max"] > 1]
    check(live, "the running step's bar and words followed the helper's image.restore (done of total)")
    check(any("/s" in s["text"] for s in live), "with its rate")
    browser.screenshot("site-watched")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("recover", "bring-back", "watch"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--hypervisor", help="recover: the hypervisor to recover to")
    parser.add_argument("--vm", help="recover: the new VM's name")
    parser.add_argument("--generation", help="bring-back: the generation file the files come from")
    parser.add_argument("--volume", default="-", help="bring-back: the volume's number (- for a volume backup's one)")
    parser.add_argument("--folder", default="/", help="bring-back: the folder the files are in")
    parser.add_argument("--pick", action="append", default=[], help="bring-back: a name in that folder to tick (repeatable)")
    parser.add_argument("--recovery", help="bring-back: the recovery whose VM receives them; watch: the recovery to follow")
    parser.add_argument("--seconds", type=int, default=900, help="watch: how long the recovery may take")
    arguments = parser.parse_args()
    needed = {"recover": ("hypervisor", "vm"), "bring-back": ("generation", "recovery", "pick"), "watch": ("recovery",)}[arguments.action]
    for name in needed:
        if not getattr(arguments, name):
            parser.error(f"{arguments.action} needs --{name}")
    os.makedirs(arguments.output, exist_ok=True)
    password = sys.stdin.readline().rstrip("\n")
    browser = None
    try:
        browser = logged_in(arguments, password)
        {"recover": recover, "bring-back": bring_back, "watch": watch}[arguments.action](browser, arguments)
        return 0
    except (AssertionError, TimeoutException) as failure:
        if browser:
            browser.screenshot(f"site-{arguments.action}-failure")
            print(browser.driver.find_element(By.TAG_NAME, "body").text[:4000], file=sys.stderr)
        print(f"recovery_site {arguments.action}: FAILED: {failure!r}", file=sys.stderr)
        return 1
    finally:
        if browser:
            browser.driver.quit()


if __name__ == "__main__":
    sys.exit(main())
