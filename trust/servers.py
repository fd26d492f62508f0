"""The servers `make trust` owns, so it may stop and restart them at will: a throwaway
PostgreSQL cluster and a throwaway Redis, each on a free port under a temporary folder,
and a local SMTP server whose answers the scenarios choose. Never the machine's own
PostgreSQL (5432) or Redis (6379): other people use those.

PostgreSQL refuses to run as root, so its programs run as the `postgres` user when this
process is root (runuser), in a folder owned by that user.
"""

# ruff: noqa: S603 - PostgreSQL's and Redis's own programs, fixed argv, no shell

from __future__ import annotations

import contextlib
import itertools
import os
import re
import select
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from trust.processes import free_port

POSTGRES_ROOT = Path("/usr/lib/postgresql")
POSTGRES_USER = "postgres"


def postgres_bin_dir() -> Path:
    """The newest PostgreSQL installed (Debian's layout: /usr/lib/postgresql/<version>/bin)."""
    versions = sorted(
        (path for path in POSTGRES_ROOT.glob("*/bin") if (path / "initdb").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(f"No PostgreSQL programs under {POSTGRES_ROOT}/<version>/bin.")
    return versions[-1]


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own: initdb in `folder`, listening on 127.0.0.1:<port>,
    trust authentication for the postgres role (loopback only)."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.data = folder / "data"
        self.log_file = folder / "postgres.log"
        self.port = port or free_port()
        self.bin = postgres_bin_dir()
        self.initialised = False

    @property
    def url(self) -> str:
        return f"postgres://{POSTGRES_USER}@127.0.0.1:{self.port}"

    def _as_owner(self, program: str, *args: str) -> list[str]:
        argv = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            return ["runuser", "-u", POSTGRES_USER, "--", *argv]
        return argv

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        completed = subprocess.run(
            self._as_owner(program, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,  # Ctrl-C in the terminal is ours to handle, not theirs
        )
        if completed.returncode:
            raise RuntimeError(
                f"{program} {' '.join(args[:2])} failed ({completed.returncode}): "
                f"{completed.stderr.strip() or completed.stdout.strip()}"
            )

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, user=POSTGRES_USER, group=POSTGRES_USER)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "--username",
            POSTGRES_USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",  # a throwaway cluster: no need to flush the template to disk
        )
        self.initialised = True

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c max_connections=200 -c shared_buffers=128MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """mode fast: what a restart by an operator does (sessions are cut, clean
        shutdown); immediate: a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        """Stop the cluster whatever its state; its folder is removed by the caller."""
        if not self.initialised or not self.running():
            return
        try:
            self.stop(mode="immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            # The postmaster we started, by the pid it wrote itself.
            with contextlib.suppress(OSError, ValueError, IndexError):
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)

    def create_database(self, name: str) -> str:
        import psycopg2

        admin = psycopg2.connect(
            dbname="postgres", user=POSTGRES_USER, host="127.0.0.1", port=self.port
        )
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            admin.close()
        return f"{self.url}/{name}"


class ThrowawayRedis:
    """A Redis server of our own, without persistence: stopped, it forgets everything —
    queued tasks included, which is the harder case for "nothing lost"."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder / "redis.log").open("a")
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 20
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer within 20 s")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    destroy = stop


# --- A local SMTP server ---------------------------------------------------------------

MESSAGE_ID = re.compile(rb"^Message-ID: <warmpath\.(\d+)\.", re.MULTILINE | re.IGNORECASE)


@dataclass
class SmtpLog:
    """What the server saw: messages accepted (answered 250 after DATA), by Warmpath's
    email id, and the refusals and times of every attempt."""

    accepted: dict[int, int] = field(default_factory=dict)  # email id → copies accepted
    attempts: dict[int, list[float]] = field(default_factory=dict)  # email id → monotonic
    refused: int = 0
    cut_off: int = 0  # the client went away before the answer (e.g. killed mid-send)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def total_attempts(self) -> int:
        with self.lock:
            return sum(len(times) for times in self.attempts.values())

    def intervals(self, email_ids) -> dict[int, list[float]]:
        """Seconds between one message's successive attempts, per email id."""
        with self.lock:
            return {
                email_id: [later - earlier for earlier, later in itertools.pairwise(times)]
                for email_id in email_ids
                if len(times := self.attempts.get(email_id, [])) > 1
            }

    def copies(self, email_ids) -> tuple[int, int, int]:
        """(sent, duplicates, lost) among these email ids."""
        with self.lock:
            counts = [self.accepted.get(email_id, 0) for email_id in email_ids]
        return (
            sum(1 for count in counts if count),
            sum(count - 1 for count in counts if count > 1),
            sum(1 for count in counts if count == 0),
        )


class SmtpSink(socketserver.ThreadingTCPServer):
    """Enough SMTP for Django's SMTP backend (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), on
    127.0.0.1. `mode` decides how a message's end of DATA is answered:

    - "accept": 250, the message counts as sent;
    - "refuse": 451, a temporary failure (the client must retry later);
    - "slow": the answer waits `slow_seconds` before 250 — a worker killed meanwhile never
      gets it, and the message does not count (as a real server would drop it).
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mode = "accept"
        self.slow_seconds = 30.0
        self.log = SmtpLog()
        super().__init__(("127.0.0.1", self.port), _SmtpSession)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def destroy(self) -> None:
        self.shutdown()
        self.server_close()


class _SmtpSession(socketserver.StreamRequestHandler):
    timeout = 120

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: SmtpSink = self.server
        self.reply("220 trust-smtp ready")
        while line := self.rfile.readline():
            command = line.strip().split(b" ", 1)[0].upper()
            if command == b"EHLO":
                self.wfile.write(b"250-trust-smtp\r\n250 8BITMIME\r\n")
                self.wfile.flush()
            elif command in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif command == b"DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = self._read_data()
                if data is None:
                    return
                self._answer_data(server, data)
            elif command == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def _read_data(self) -> bytes | None:
        lines = []
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)

    def _answer_data(self, server: SmtpSink, data: bytes) -> None:
        match = MESSAGE_ID.search(data)
        email_id = int(match.group(1)) if match else 0
        log = server.log
        with log.lock:
            log.attempts.setdefault(email_id, []).append(time.monotonic())
        mode = server.mode
        if mode == "refuse":
            with log.lock:
                log.refused += 1
            self.reply("451 4.3.0 try again later")
            return
        if mode == "slow" and not self._client_waits(server.slow_seconds):
            # The client went away before our answer (a worker killed mid-send): a real
            # server drops such a message, and so do we.
            with log.lock:
                log.cut_off += 1
            return
        try:
            self.reply("250 2.0.0 queued")
        except OSError:
            with log.lock:
                log.cut_off += 1
            return
        with log.lock:
            log.accepted[email_id] = log.accepted.get(email_id, 0) + 1

    def _client_waits(self, seconds: float) -> bool:
        """Hold the answer for `seconds`; False as soon as the client hangs up. It sends
        nothing while it waits for our answer, so anything readable is its end of file."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.2))
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
                time.sleep(0.2)  # pipelined bytes, not an end of file: keep waiting
        return True
