"""The real ``dagster-webserver`` as a child process of a test, and a tiny GraphQL client for it.

The server runs in its own process group (it starts a gRPC code server of its own), so stopping
it can end both and the test can check that nothing it started is left behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kc_pipeline.paths import PROJECT_ROOT

# Generous but bounded: a loaded 2-core CI machine needs a few seconds to import the code location.
START_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0
# Straight to the loopback server, whatever http_proxy a CI machine sets.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

LOCATIONS_QUERY = """
query Locations {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message stack errorChain { error { message stack } } }
        }
      }
    }
    ... on PythonError { message stack errorChain { error { message stack } } }
  }
}
"""


def python_error(error: Mapping[str, Any]) -> str:
    """A GraphQL PythonError as the traceback a person would read: the error, then every cause."""
    parts = [error.get("message") or "", "".join(error.get("stack") or [])]
    for link in error.get("errorChain") or []:
        parts += ["caused by:", link["error"]["message"], "".join(link["error"]["stack"] or [])]
    return "\n".join(p.rstrip() for p in parts if p)


class WebserverError(AssertionError):
    """The server did not start, did not load the code location, or answered with errors."""


def free_port() -> int:
    """A loopback port nobody listens on now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webserver_command(port: int) -> list[str]:
    """``dagster-webserver`` of the interpreter running the tests (the project's .venv under make test)."""
    script = Path(sys.executable).with_name("dagster-webserver")
    program = [str(script)] if script.is_file() else [sys.executable, "-m", "dagster_webserver"]
    return [*program, "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"]


@dataclass
class Webserver:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def get(self, path: str) -> tuple[int, bytes]:
        with _OPENER.open(self.url + path, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, response.read()

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST to /graphql; GraphQL errors fail with the server's messages."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        request = urllib.request.Request(
            self.url + "/graphql", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with _OPENER.open(request, timeout=REQUEST_TIMEOUT_S) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise WebserverError(f"GraphQL errors: {json.dumps(answer['errors'], indent=1)[:4000]}")
        return answer["data"]

    def wait_until_loaded(self, timeout_s: float = START_TIMEOUT_S) -> dict[str, Any]:
        """Poll until /server_info answers and every code location is LOADED; return the location entry.

        A location that loaded with an error fails at once with the server's Python error.
        """
        deadline = time.monotonic() + timeout_s
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise WebserverError(
                    f"dagster-webserver exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                status, _ = self.get("/server_info")
                if status == 200:
                    workspace = self.graphql(LOCATIONS_QUERY)["workspaceOrError"]
                    if workspace["__typename"] != "Workspace":
                        raise WebserverError(f"workspace failed to load:\n{python_error(workspace)}")
                    entries = workspace["locationEntries"]
                    if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                        for entry in entries:
                            loaded = entry["locationOrLoadError"] or {}
                            if loaded.get("__typename") != "RepositoryLocation":
                                raise WebserverError(
                                    f"code location {entry['name']} failed to load:\n{python_error(loaded)}"
                                )
                        return entries[0]
                    last_problem = f"locations still loading: {[e['loadStatus'] for e in entries]}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError) as exc:
                last_problem = repr(exc)
            time.sleep(0.5)
        raise WebserverError(
            f"dagster-webserver not ready after {timeout_s:.0f} s ({last_problem}):\n{self.log_tail()}"
        )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we cannot signal still exists
        return True
    return True


def stop_process_group(process: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the server's process group, then SIGKILL what is still there after ``timeout_s``."""
    pgid = process.pid  # start_new_session=True: the server leads its own group
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or the group never empties
        if not _group_alive(pgid):
            break
        time.sleep(0.2)
    else:
        os.killpg(pgid, signal.SIGKILL)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)


@contextmanager
def running_webserver(env: Mapping[str, str], log_path: Path) -> Iterator[Webserver]:
    """Start ``dagster-webserver -w workspace.yaml`` from the repository root; always stop it."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            webserver_command(port),
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Webserver(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    finally:
        stop_process_group(process)
