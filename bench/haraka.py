"""Haraka, the Node.js SMTP server, as a durable peer: installed from the npm registry on first
use into bench/.haraka (git-ignored), run with one plugin of ours, haraka_durable_queue.js."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import targets

VERSION = "3.3.4"
HERE = Path(__file__).resolve().parent
INSTALL = HERE / ".haraka"
PLUGIN = HERE / "haraka_durable_queue.js"


def haraka_bin() -> Path:
    """The haraka command, installed with npm if it is not there yet."""
    command = INSTALL / "node_modules" / ".bin" / "haraka"
    if command.exists():
        return command
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: apt-get install -y nodejs npm, then run the bench again")
    print(f"installing Haraka {VERSION} from the npm registry into {INSTALL}")
    INSTALL.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error",
         "--prefix", str(INSTALL), f"Haraka@{VERSION}"],
        check=True, stdout=subprocess.DEVNULL, timeout=600,  # engine warnings go to stderr
    )  # fmt: skip
    return command


def configure(command: Path, home: Path, port: int) -> None:
    """A Haraka instance directory as `haraka -i` lays it out, then: one process, our plugin
    only, warnings-only logs (ours log a line per mail; Haraka's default logs several)."""
    subprocess.run([str(command), "-i", str(home)], check=True, capture_output=True, timeout=60)
    config = home / "config"
    plugins = home / "plugins"
    shutil.copy(PLUGIN, plugins / "durable_queue.js")
    (config / "plugins").write_text("durable_queue\n")
    (config / "smtp.ini").write_text(f"[main]\nlisten={targets.HOST}:{port}\nnodes=0\n")
    (config / "log.ini").write_text("[main]\nlevel=warn\n")
    (config / "me").write_text("haraka.bench.localhost\n")


@contextmanager
def haraka(work: Path) -> Iterator[targets.Target]:
    command = haraka_bin()
    port = targets.free_port()
    home = work / "haraka"
    configure(command, home, port)
    env = {**os.environ, "BENCH_SPOOL_DIR": str(work / "mail")}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with targets.running("haraka", [str(command), "-c", str(home)], port, env=env, **quiet) as target:
        yield target
