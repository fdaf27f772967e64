"""Training in worker processes: the app's runs train outside the server process.

Why: a training thread inside the Streamlit server shares the GIL with every page rerun.
Measured on 2 cores: one epoch in a thread took 2.2 s alone and 114 s beside one busy
Python thread (the GIL convoy; bench/RESULTS.md). A worker process has its own GIL.

The server keeps a small pool of long-lived workers (torch imported and MNIST loaded
once each). Messages are pickles over two pipes: the server sends ("run", job, config,
threads), ("stop", job) and ("snapshot", job, request); the worker answers with
("event", job, event), ("snapshot", job, request, weights), ("weights", job, weights)
and ("done", job). A worker exits when the server's end of its pipe closes, so no
worker outlives the server.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

LOG = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
WORKER_NICE = 5


class WorkerDied(RuntimeError):
    """The worker process ended while it was training."""


def _send(conn: Connection, lock: threading.Lock, message: tuple) -> None:
    """Pickle and send one message (plain pickle: tensors travel as bytes, not shared memory)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    with lock:
        conn.send_bytes(data)


class WorkerProcess:
    """Server side of one worker process."""

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        command = [sys.executable, "-m", "lab.workproc", str(to_child_r), str(from_child_w)]
        self.proc = subprocess.Popen(command, pass_fds=(to_child_r, from_child_w), cwd=ROOT, env=env)
        os.close(to_child_r)
        os.close(from_child_w)
        self._out, self._in = Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        self._send_lock = threading.Lock()
        self._requests: dict[int, tuple[threading.Event, list]] = {}
        self._request_ids = itertools.count(1)
        self._requests_lock = threading.Lock()
        self.job: int | None = None

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def _receive(self) -> tuple:
        """The next message; WorkerDied when the process has gone."""
        try:
            return pickle.loads(self._in.recv_bytes())
        except (EOFError, OSError) as exc:
            code = self.proc.wait(timeout=10)
            why = "; killed, perhaps for lack of memory" if code == -9 else ""
            raise WorkerDied(f"the training process ended unexpectedly (exit code {code}{why})") from exc

    def wait_ready(self) -> None:
        """Block until the worker has imported torch and loaded MNIST."""
        message = self._receive()
        if message[0] != "ready":
            raise WorkerDied(f"unexpected first message {message[0]!r}")

    def run(self, job: int, config, threads: int, on_event: Callable, on_weights: Callable,
            stop_event: threading.Event) -> None:
        """Train config in the worker, passing each event on, then the final weights."""
        self.job = job
        try:
            _send(self._out, self._send_lock, ("run", job, config, threads))
            if stop_event.is_set():  # stopped while the job was being handed over
                self.stop(job)
            while True:
                kind, msg_job, *rest = self._receive()
                if msg_job != job:
                    continue  # a late answer for an earlier run
                if kind == "event":
                    on_event(rest[0])
                elif kind == "snapshot":
                    self._answer(rest[0], rest[1])
                elif kind == "weights":
                    on_weights(rest[0])  # before "done": a snapshot asked meanwhile then finds them
                elif kind == "done":
                    return
        finally:
            with self._requests_lock:
                self.job, pending = None, list(self._requests)
            for request in pending:  # whoever still waits gets None: the final weights answer them
                self._answer(request, None)

    def _answer(self, request: int, weights) -> None:
        """Hand a snapshot answer to the thread that asked for it."""
        with self._requests_lock:
            waiter = self._requests.pop(request, None)
        if waiter is not None:
            waiter[1].append(weights)
            waiter[0].set()

    def stop(self, job: int) -> None:
        """Ask the worker to end job after its current step (ignored if job is not its run)."""
        try:
            _send(self._out, self._send_lock, ("stop", job))
        except OSError:
            pass  # the worker has gone already; its run ends as failed

    def snapshot(self, job: int, timeout: float = 30.0):
        """The job's current weights, fetched from the worker; None if the run ended meanwhile."""
        request, done, box = next(self._request_ids), threading.Event(), []
        with self._requests_lock:
            if self.job != job:
                return None
            self._requests[request] = (done, box)
        try:
            _send(self._out, self._send_lock, ("snapshot", job, request))
        except OSError:
            return None
        done.wait(timeout)
        return box[0] if box else None

    def close(self) -> None:
        """End the process (closing its pipe is enough; terminate if it lingers)."""
        for conn in (self._out, self._in):
            conn.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class WorkerPool:
    """At most `size` idle workers kept warm; a busy or dead one is replaced on demand."""

    def __init__(self, size: int):
        self.size = size
        self._idle: list[WorkerProcess] = []
        self._lock, self._spawn_lock = threading.Lock(), threading.Lock()

    def _take_idle(self) -> WorkerProcess | None:
        """A live idle worker, dropping dead ones."""
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.close()
        return None

    def acquire(self) -> WorkerProcess:
        """A ready worker: an idle one, else a new one (seconds: it imports torch)."""
        if (worker := self._take_idle()) is not None:
            return worker
        with self._spawn_lock:  # one start at a time: a 2-core box starting two is slower for both
            if (worker := self._take_idle()) is not None:
                return worker
            worker = WorkerProcess()
            try:
                worker.wait_ready()
            except Exception:
                worker.close()
                raise
            return worker

    def release(self, worker: WorkerProcess) -> None:
        """Give a worker back after a run; dead or surplus ones are closed."""
        with self._lock:
            if worker.alive and len(self._idle) < self.size:
                self._idle.append(worker)
                return
        worker.close()

    def prewarm(self) -> None:
        """Start the workers in the background so the first run does not wait for torch."""
        def warm() -> None:
            try:
                self.release(self.acquire())
            except Exception:  # noqa: BLE001 - the first run will try again and report
                LOG.exception("could not start a training worker")
        threading.Thread(target=warm, name="relulab-prewarm", daemon=True).start()

    def close(self) -> None:
        """Close every idle worker."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


def serve(read_fd: int, write_fd: int) -> None:
    """Worker main: take runs one at a time, answer stop and snapshot requests meanwhile."""
    import torch

    from lab.data import load_mnist
    from lab.events import RunEnded
    from lab.train import Trainer

    # A little below the server: when both want the CPU, pages (a student opening the app, a
    # Stop click) come first; the server needs a fraction of a core, so training keeps the rest.
    os.nice(WORKER_NICE)
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    send_lock, current_lock = threading.Lock(), threading.Lock()
    current: dict = {"job": None, "trainer": None}
    stopped: set[int] = set()  # stop requests that came before their run started
    runs: queue.Queue = queue.Queue()

    def send(message: tuple) -> None:
        _send(outbox, send_lock, message)

    def read_requests() -> None:
        while True:
            try:
                kind, job, *rest = pickle.loads(inbox.recv_bytes())
            except (EOFError, OSError):
                os._exit(0)  # the server is gone: never outlive it
            if kind == "run":
                runs.put((job, *rest))
                continue
            with current_lock:
                trainer = current["trainer"] if current["job"] == job else None
                if kind == "stop" and trainer is None:
                    stopped.add(job)
            if kind == "stop" and trainer is not None:
                trainer.stop()
            elif kind == "snapshot":
                send(("snapshot", job, rest[0], trainer.snapshot() if trainer else None))

    data = load_mnist()
    threading.Thread(target=read_requests, name="relulab-requests", daemon=True).start()
    send(("ready", os.getpid()))
    while True:
        job, config, threads = runs.get()
        torch.set_num_threads(threads)
        try:
            trainer = Trainer(config, lambda event, job=job: send(("event", job, event)), data=data)
        except Exception as exc:  # noqa: BLE001 - e.g. CUDA gone: this run fails, the worker stays
            send(("event", job, RunEnded("failed", f"{type(exc).__name__}: {exc}", 0, None, 0.0)))
            send(("done", job))
            continue
        with current_lock:
            current.update(job=job, trainer=trainer)
            if job in stopped:
                stopped.discard(job)
                trainer.stop()
        trainer.run()  # never raises: a failure ends as a RunEnded with status "failed"
        with current_lock:
            current.update(job=None, trainer=None)
        send(("weights", job, trainer.snapshot()))
        send(("done", job))
        trainer = None  # the ended run's model and optimizer state go now, not at the next run


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
