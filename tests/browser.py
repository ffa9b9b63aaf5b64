"""A headless Chromium driven over the DevTools protocol, for checking HTML pages.

Only what the report page test needs: open a file at a given viewport, and tell
what the page logged, which requests it made and what a script finds in it.

`python tests/browser.py install` (what `.ci/run` calls) installs Debian's
`chromium` package, and the DejaVu fonts the page is measured in, with apt-get when
no browser is there: it needs root, and a machine with Debian's package lists.
Elsewhere install a Chromium-family browser yourself, or the page test is skipped.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DEBIAN_PACKAGES = ("chromium", "fonts-dejavu-core")
"""What `install` asks apt-get for: the browser, and the fonts the page is measured in."""
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class BrowserUnavailable(RuntimeError):
    """No browser could be installed here; the message says why."""


def find_browser() -> str | None:
    """Return the path of an installed Chromium-family browser, if any."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def install() -> str:
    """Install Debian's Chromium with apt-get unless a browser is there; return its path."""
    found = find_browser()
    if found is not None:
        return found
    if shutil.which("apt-get") is None:
        raise BrowserUnavailable("no apt-get here: install a Chromium-family browser yourself")
    if os.geteuid() != 0:
        raise BrowserUnavailable("installing chromium with apt-get needs root")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_PACKAGES],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, env=environment, check=False)
        if done.returncode != 0:
            raise BrowserUnavailable(f"`{' '.join(step)}` failed:\n{done.stderr[-2000:]}")
    found = find_browser()
    if found is None:
        raise BrowserUnavailable(f"apt-get installed {' '.join(DEBIAN_PACKAGES)}, no browser")
    return found


@dataclass
class Loaded:
    """What a page did while loading: console messages, errors, requests, a screenshot."""

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    found: Any = None


class _Session:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse, loaded: Loaded) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._loaded = loaded

    async def run(self) -> None:
        async for message in self._socket:
            data = json.loads(message.data)
            if "id" in data:
                self._waiting.pop(data["id"]).set_result(data)
                continue
            method, params = data.get("method"), data.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                self._loaded.console.append((params["type"], text))
            elif method == "Runtime.exceptionThrown":
                self._loaded.errors.append(json.dumps(params["exceptionDetails"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                self._loaded.errors.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                self._loaded.requests.append(params["request"]["url"])
            if method in self._events:
                self._events[method].set()

    def expect(self, method: str) -> asyncio.Event:
        self._events[method] = asyncio.Event()
        return self._events[method]

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        await self._socket.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})


@asynccontextmanager
async def _browser(path: str) -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(  # noqa: ASYNC220 (read line by line below, off the loop)
            [
                path,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                # Nothing but the page: no update checks, sync or other calls home.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = None
        try:
            assert process.stderr is not None
            while url is None:
                line = await asyncio.to_thread(process.stderr.readline)
                if not line:
                    raise RuntimeError("the browser stopped before it listened")
                if found := _LISTENING.search(line):
                    url = found.group(1)
            # Keep reading what the browser logs, so a full pipe never blocks it.
            drained = asyncio.ensure_future(asyncio.to_thread(process.stderr.read))
            yield url
        finally:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
            if url is not None:
                await drained
            if process.stderr is not None:
                process.stderr.close()


async def load(path: str, page: str, *, width: int, height: int, script: str) -> Loaded:
    """Open the `page` URL in a `width` x `height` viewport.

    Return what the page did, and what `script` (a JavaScript expression) found in it.
    """
    loaded = Loaded()
    async with _browser(path) as browser_url, aiohttp.ClientSession() as http:
        port = browser_url.split("/")[2]
        async with http.put(f"http://{port}/json/new?about:blank") as response:
            target = await response.json(content_type=None)
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as socket:
            session = _Session(socket, loaded)
            reader = asyncio.create_task(session.run())
            try:
                for domain in ("Runtime", "Log", "Network", "Page"):
                    await session.send(f"{domain}.enable")
                await session.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=2,
                    mobile=True,
                )
                done = session.expect("Page.loadEventFired")
                await session.send("Page.navigate", url=page)
                await asyncio.wait_for(done.wait(), 30)
                result = await session.send(
                    "Runtime.evaluate", expression=script, returnByValue=True
                )
                loaded.found = result["result"].get("value")
                shot = await session.send(
                    "Page.captureScreenshot", format="png", captureBeyondViewport=True
                )
                loaded.screenshot = base64.b64decode(shot["data"])
            finally:
                reader.cancel()
    return loaded


def main(argv: list[str]) -> int:
    """`browser.py install` installs a browser for the page test, unless one is there."""
    if argv[1:] == ["install"]:
        try:
            path = install()
        except BrowserUnavailable as error:
            print(f"no browser for the page test: {error}", file=sys.stderr)
            return 1
        print(f"browser for the page test: {path}")
        return 0
    print("usage: browser.py install", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
