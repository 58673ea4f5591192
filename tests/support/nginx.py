"""A real nginx (Debian's) terminating TLS on 127.0.0.1 in front of a local upstream.

The certificate is self-signed, made at test time by the `openssl` command. nginx adds the
connecting client's address to the right end of `X-Forwarded-For` and says the scheme in
`X-Forwarded-Proto`, as a production proxy is told to. Clients choose their own loopback source
address (127.0.0.2, 127.0.0.3, ...), so one machine plays several clients.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlencode

import pytest

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
START_SECONDS = 15.0

CONF = """\
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    return found or next((p for p in NGINX_CANDIDATES if os.access(p, os.X_OK)), None)


def require_nginx() -> str:
    """The nginx binary; skip (saying how to get it) when neither it nor openssl is here."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed and could not be (run: bash scripts/ensure-nginx.sh)")
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make the test certificate")
    return binary


def self_signed(directory: Path) -> Path:
    """cert.pem and key.pem for 127.0.0.1 in `directory`; returns the certificate's path."""
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return directory / "cert.pem"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Nginx:
    """`with Nginx(upstream_port, tmp_path) as proxy:` serves https://127.0.0.1:proxy.port/."""

    def __init__(self, upstream: int, directory: Path) -> None:
        self.binary = require_nginx()
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert = self_signed(self.dir)
        self.port = free_port()
        user = "user root;" if os.geteuid() == 0 else ""
        conf = CONF.format(user=user, dir=self.dir, port=self.port, upstream=upstream)
        (self.dir / "nginx.conf").write_text(conf)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        command = [self.binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")]
        with (self.dir / "stderr.log").open("wb") as stderr:
            self._process = subprocess.Popen(
                [*command, "-e", str(self.dir / "error.log"), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self._wait_until_listening(self._process)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)

    def _wait_until_listening(self, process: subprocess.Popen[bytes]) -> None:
        give_up = time.monotonic() + START_SECONDS
        while time.monotonic() < give_up:
            if process.poll() is not None:
                errors = (self.dir / "stderr.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited at start: {errors}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        process.kill()
        raise RuntimeError(f"nginx did not listen on 127.0.0.1:{self.port}")

    def client(self, source: str = "127.0.0.1") -> HttpsClient:
        context = ssl.create_default_context(cafile=str(self.cert))
        return HttpsClient(self.port, context, source)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


@dataclass
class HttpsClient:
    """A cookie-keeping HTTPS client (plain HTTP without a context) connecting from loopback
    address `source`; paths are sent as given."""

    port: int
    context: ssl.SSLContext | None = None
    source: str = "127.0.0.1"
    jar: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, None, headers or {})

    def post(
        self, path: str, form: dict[str, str], headers: dict[str, str] | None = None
    ) -> Answer:
        return self.request("POST", path, form, headers or {})

    def request(
        self, method: str, path: str, form: dict[str, str] | None, headers: dict[str, str]
    ) -> Answer:
        conn = (
            http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=self.context, source_address=(self.source, 0)
            )
            if self.context is not None
            else http.client.HTTPConnection("127.0.0.1", self.port, source_address=(self.source, 0))
        )
        sent = dict(headers)
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = urlencode(form).encode() if form is not None else None
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            answer = Answer(response.status, response.headers, response.read().decode())
        finally:
            conn.close()
        for cookie in answer.cookies():
            name, _, rest = cookie.partition("=")
            self.jar[name] = rest.split(";")[0]
        return answer
