#!/usr/bin/env python3
"""Loads a page in headless Chromium through the DevTools protocol over a pipe (Chromium's
--remote-debugging-pipe: fd 3 in, fd 4 out, messages ended by NUL), with no third-party
module. Prints one JSON object: the console messages, uncaught exceptions, log entries and
network requests seen, facts read from the DOM, and what the page's filter does; writes a
PNG screenshot.

usage: cdp.py CHROMIUM PAGE.html SCREENSHOT.png [WIDTH HEIGHT]
"""
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time

chrome, page, screenshot = sys.argv[1:4]
width, height = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (1280, 900)
url = "file://" + os.path.abspath(page)
deadline = time.monotonic() + 60  # the whole run is bounded

to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()


def wire_fds():
    # Copies first: a pipe end may itself be fd 3 or 4, and dup2 onto itself would keep
    # its close-on-exec flag.
    into, out = os.dup(to_chrome_r), os.dup(from_chrome_w)
    os.dup2(into, 3)
    os.dup2(out, 4)


profile = tempfile.mkdtemp(prefix="portolan-cdp-")
proc = subprocess.Popen(
    [
        chrome,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--remote-debugging-pipe",
        # Any name look-up fails: a request to the network could not leave the machine even
        # if the page made one (it is recorded below either way).
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--no-first-run",
        "--user-data-dir=" + profile,
        "about:blank",
    ],
    stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
    preexec_fn=wire_fds,
    close_fds=False,
)
os.close(to_chrome_r)
os.close(from_chrome_w)

buffer = b""
next_id = 0
events = []


def send(method, params=None, session=None):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_chrome_w, json.dumps(message).encode() + b"\0")
    return next_id


def receive():
    global buffer
    while b"\0" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit("timed out waiting for Chromium")
        ready, _, _ = select.select([from_chrome_r], [], [], left)
        if ready:
            chunk = os.read(from_chrome_r, 1 << 20)
            if not chunk:
                raise SystemExit("Chromium closed the pipe")
            buffer += chunk
    message, buffer = buffer.split(b"\0", 1)
    return json.loads(message)


def call(method, params=None, session=None):
    wanted = send(method, params, session)
    while True:
        message = receive()
        if message.get("id") == wanted:
            if "error" in message:
                raise SystemExit(f"{method}: {message['error']}")
            return message.get("result", {})
        events.append(message)


def wait_for(method):
    for e in events:
        if e.get("method") == method:
            return
    while True:
        message = receive()
        events.append(message)
        if message.get("method") == method:
            return


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        call(domain + ".enable", session=session)
    call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    events.clear()
    call("Page.navigate", {"url": url}, session=session)
    wait_for("Page.loadEventFired")
    facts = call(
        "Runtime.evaluate",
        {
            "expression": """JSON.stringify({
  title: document.title,
  images: document.images.length,
  scripts: document.scripts.length,
  controls_shown: !!document.getElementById('controls') && !document.getElementById('controls').hidden,
  ports: Array.from(document.querySelectorAll('#results thead tr:first-child th')).slice(2).map(th => th.textContent),
  vantages: Array.from(document.querySelectorAll('#results thead tr:nth-child(2) th')).map(th => th.textContent),
  rows: Array.from(document.querySelectorAll('#results tbody tr')).map(r => ({
    host: r.getAttribute('data-host'),
    cells: Array.from(r.querySelectorAll('td')).slice(1).map(td => td.textContent)})),
  evidence: Array.from(document.querySelectorAll('#evidence ~ details')).map(d => d.querySelector('summary').textContent),
  audit_cells: Array.from(document.querySelectorAll('#audit ~ div table td')).map(td => td.textContent)
})""",
            "returnByValue": True,
        },
        session=session,
    )["result"]["value"]
    # The filter: type a host's name, then ask for problem hosts only.
    filtered = call(
        "Runtime.evaluate",
        {
            "expression": """(function(){
  var q=document.getElementById('q'), bad=document.getElementById('bad');
  var rows=document.querySelectorAll('#results tbody tr');
  if(!rows.length||!q)return JSON.stringify({});
  var first=rows[0].getAttribute('data-host');
  q.value=first; q.dispatchEvent(new Event('input'));
  var byName=Array.from(rows).filter(r=>!r.hidden).map(r=>r.getAttribute('data-host'));
  q.value=''; q.dispatchEvent(new Event('input'));
  bad.checked=true; bad.dispatchEvent(new Event('change'));
  var problems=Array.from(rows).filter(r=>!r.hidden).length;
  bad.checked=false; bad.dispatchEvent(new Event('change'));
  var th=document.querySelector('#results th[data-sort=host]'); th.click(); th.click();
  var sorted=Array.from(document.querySelectorAll('#results tbody tr')).map(r=>r.getAttribute('data-host'));
  th.click();
  return JSON.stringify({first: first, by_name: byName, problems: problems, sorted_desc: sorted});
})()""",
            "returnByValue": True,
        },
        session=session,
    )["result"]["value"]
    shot = call("Page.captureScreenshot", {"format": "png"}, session=session)
    with open(screenshot, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    # Let late events (a deferred request, a console message) arrive before closing.
    call("Runtime.evaluate", {"expression": "1"}, session=session)
    try:
        call("Browser.close")
    except SystemExit:
        pass
finally:
    proc.kill()
    proc.wait(timeout=10)

console = [
    e["params"]
    for e in events
    if e.get("method") == "Runtime.consoleAPICalled"
]
exceptions = [
    e["params"]["exceptionDetails"] for e in events if e.get("method") == "Runtime.exceptionThrown"
]
log = [e["params"]["entry"] for e in events if e.get("method") == "Log.entryAdded"]
requests = [
    e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"
]
print(
    json.dumps(
        {
            "url": url,
            "console": console,
            "exceptions": exceptions,
            "log": log,
            "requests": requests,
            "dom": json.loads(facts),
            "filter": json.loads(filtered),
        }
    )
)
