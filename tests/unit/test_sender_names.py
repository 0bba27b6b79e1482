"""Who takes messages for sending: each process by its own name, and which ones are gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.sender import dead_here, this_process


def test_a_forked_worker_takes_messages_in_its_own_name() -> None:
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a worker forked after the module was imported
        os.write(write, this_process().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    name = os.read(read, 256).decode()
    os.close(read)

    assert name == f"{socket.gethostname()}:{child}"
    assert name != this_process()


def test_only_processes_of_this_host_that_ended_are_gone() -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = socket.gethostname()
    gone = f"{host}:{ended.stdout.strip()}"
    claimers = {gone, this_process(), f"{host}:{os.getppid()}", "another-host:1", "garbled"}

    assert dead_here(claimers) == [gone]
