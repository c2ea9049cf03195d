"""
Load a gunicorn instance with wrk, as one signed-in browser behind the proxy.

There is no proxy: wrk stands in for it. It sends what the project's Caddy
would forward for a browser (X-Forwarded-Proto: https and the browser's
address in X-Forwarded-For), and gunicorn and Django trust those headers
from 127.0.0.1 exactly as they trust the proxy in production. TLS itself
is not measured: in production Caddy terminates it.
"""

import http.client
import re
import shutil
import subprocess
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.pages import LOGIN, PAGE
from benchmarks.subjects import HOST, USERNAME

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CLIENT_IP = "203.0.113.7"
BROWSER = {"User-Agent": USER_AGENT, "X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT_IP}

# wrk counts statuses it does not mind (a 302 to the sign-in page is one):
# count every answer that is not the page itself.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body) if status ~= 200 then not_ok = not_ok + 1 end end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration, bad,
    e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


class LoadError(RuntimeError):
    """Signing in or loading an instance failed."""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    not_ok: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self):
        return self.requests / self.seconds

    @property
    def errors(self):
        return self.not_ok + self.socket_errors


def wrk_path():
    path = shutil.which("wrk")
    if path is None:
        raise LoadError("wrk was not found: install the Debian package wrk (apt-get install wrk).")
    return path


def write_script(directory):
    path = Path(directory) / "count-not-ok.lua"
    path.write_text(WRK_SCRIPT)
    return path


def request(port, method, path, headers, body=None):
    client = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        client.request(method, path, body=body, headers={"Host": HOST, **BROWSER, **headers})
        response = client.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        client.close()


def cookies_from(headers, jar):
    for name, value in headers:
        if name.lower() == "set-cookie":
            for key, morsel in SimpleCookie(value).items():
                jar[key] = morsel.value
    return jar


def cookie_header(jar):
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def sign_in(port, password):
    """Sign in through the form as a browser does; return the Cookie header it then sends."""
    status, headers, body = request(port, "GET", LOGIN, {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None:
        raise LoadError(f"the sign-in page on port {port} answered {status} without a CSRF token")
    jar = cookies_from(headers, {})
    form = urlencode({"username": USERNAME, "password": password, "csrfmiddlewaretoken": token.group(1).decode()})
    # The Host header names no port (see request()), so neither does the origin.
    origin = f"https://{HOST}"
    status, headers, _ = request(
        port,
        "POST",
        LOGIN,
        {
            "Cookie": cookie_header(jar),
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": origin + LOGIN,
        },
        form,
    )
    if status != 302:
        raise LoadError(f"signing in on port {port} answered {status}, not a redirect")
    cookie = cookie_header(cookies_from(headers, jar))
    check_signed_in(port, cookie)
    return cookie


def check_signed_in(port, cookie):
    status, _, _ = request(port, "GET", PAGE, {"Cookie": cookie})
    if status != 200:
        raise LoadError(f"{PAGE} on port {port} answered {status} to a signed-in browser")


def start_wrk(port, cookie, *, seconds, connections, script):
    """Start wrk against one instance's page; return the process (see finish_wrk)."""
    headers = {**BROWSER, "Cookie": cookie}
    command = [wrk_path(), "--threads", "1", "--connections", str(connections), "--duration", f"{seconds}s"]
    command += ["--timeout", "10s", "--script", str(script)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(f"http://{HOST}:{port}{PAGE}")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(process, seconds):
    """Wait for wrk; return its LoadResult."""
    try:
        output, _ = process.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise LoadError("wrk did not finish in time") from None
    match = re.search(r"^RESULT (.+)$", output, flags=re.MULTILINE)
    if process.returncode or match is None:
        raise LoadError(f"wrk failed with status {process.returncode}:\n{output}")
    requests, micros, not_ok, connect, read, write, timeout, p50, p99 = map(int, match.group(1).split())
    return LoadResult(requests, micros / 1e6, not_ok, connect + read + write + timeout, p50 / 1000, p99 / 1000)


def load(ports_and_cookies, *, seconds, connections, script):
    """Load several instances at once, one wrk each; return their LoadResults."""
    processes = [
        start_wrk(port, cookie, seconds=seconds, connections=connections, script=script)
        for port, cookie in ports_and_cookies
    ]
    try:
        return [finish_wrk(process, seconds) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
