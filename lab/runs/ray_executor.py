"""The Ray executor: each run is a Ray task that runs execute_run() on some node of a Ray cluster.

Imported only when $RELULAB_RAY_ADDRESS (or the CLI's --ray) asks for Ray, so the default
start never imports ray. The task gets only the run id and the store's URL; config, events,
checkpoints and the end go through the store, so any web server shows any run. Ray's
scheduler queues what does not fit (the store shows the run as queued until it is claimed).
A stop is the store's flag; ray.cancel is the fallback. A task that dies with its node or
worker ends its run as failed, with a message, and nothing else.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import ray

from lab.runs.store import Store, StoreError, open_store

LOG = logging.getLogger(__name__)
GPU_FRACTION = float(os.environ.get("RELULAB_RAY_GPU_FRACTION", "0.25"))  # 4 runs share a card
CPUS_PER_RUN = float(os.environ.get("RELULAB_RAY_CPUS_PER_RUN", "1"))
CANCEL_AFTER_S = 3.0  # a stop the trainer has not honoured by then is forced with ray.cancel
RECOVER_EVERY_S = 30.0  # runs whose task vanished (e.g. with another server) stop showing as running
LOST_NODE = "the Ray node training it was lost"


def node_name() -> str:
    """This Ray node's name for the store: its IP and the start of its node id (two nodes on one host differ)."""
    ctx = ray.get_runtime_context()
    return f"ray:{ray.util.get_node_ip_address()}/{ctx.get_node_id()[:12]}"


@ray.remote(max_retries=0)  # never re-run: the run's row is already claimed; a lost run ends as failed
def train_run(run_id: str, url: str) -> str | None:
    """Ray task: train the stored run on this node (CPU threads = its CPUs; CUDA capped to its GPU share)."""
    import torch

    from lab.runs.execute import execute_run

    store = open_store(url)
    run = store.get_run(run_id)
    if run is None:
        return None
    gpus = ray.get_runtime_context().get_assigned_resources().get("GPU", 0.0)
    if gpus and torch.cuda.is_available():
        # A fractional GPU is a scheduling promise only: cap this process's share of the card too.
        torch.cuda.set_per_process_memory_fraction(min(1.0, gpus))
    threads = max(1, int(CPUS_PER_RUN))
    record = execute_run(store, run_id, threads=threads, executor="ray", node=node_name())
    return record.status if record is not None else None


def resources_for(device: str) -> dict:
    """Ray resources a run asks for: a GPU share for CUDA (and 'auto' where the cluster has GPUs), else CPUs."""
    wants_gpu = device == "cuda" or (device == "auto" and ray.cluster_resources().get("GPU", 0) > 0)
    if wants_gpu:
        return {"num_cpus": min(CPUS_PER_RUN, 1.0), "num_gpus": GPU_FRACTION}
    return {"num_cpus": CPUS_PER_RUN, "num_gpus": 0}


def connect(address: str, **kwargs) -> bool:
    """ray.init once per process (a page rerun finds it initialised and does nothing); True if this call did."""
    if ray.is_initialized():
        return False
    ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False, configure_logging=False, **kwargs)
    return True


class RayExecutor:
    """Runs stored runs as Ray tasks on the cluster at address; a monitor thread ends runs whose task died."""

    name = "ray"

    def __init__(self, store: Store, address: str, resubmit: bool = True, **init_kwargs):
        self.store, self.address = store, address
        self._owns_connection = connect(address, **init_kwargs)  # else another executor here made it
        self._refs: dict[str, ray.ObjectRef] = {}  # run id -> its task's result
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.store.recover(node="ray-monitor")  # runs whose trainer stopped beating long ago: interrupted
        # Queued Ray runs with no task (the server that queued them restarted): submit them again;
        # if another server did too, only one claim wins and the other task returns at once.
        for run in self.store.list_runs(statuses=["queued"]) if resubmit else []:
            if run.executor == "ray":
                self.submit(run.id)
        self._monitor = threading.Thread(target=self._watch, name="relulab-ray-monitor", daemon=True)
        self._monitor.start()

    def submit(self, run_id: str) -> None:
        """Send the queued run to the cluster as a task with its resources."""
        run = self.store.get_run(run_id)
        if run is None or run.status != "queued" or run.replay:  # a follower trains nothing of its own
            return
        options = resources_for(run.config.device)
        ref = train_run.options(name=f"relulab-run-{run_id[:8]}", **options).remote(run_id, self.store.url)
        with self._lock:
            self._refs[run_id] = ref

    def trains_on(self, config) -> tuple[str, int]:
        """(device kind, torch threads) of a run's task: a GPU share if it asks for one, else its CPUs."""
        return ("cuda" if resources_for(config.device)["num_gpus"] else "cpu"), max(1, int(CPUS_PER_RUN))

    def stop(self, run_id: str) -> None:
        """After the store's flag: cancel a task whose run is no longer queued nor running, else force later."""
        with self._lock:
            ref = self._refs.get(run_id)
        if ref is None:
            return
        run = self.store.get_run(run_id)
        if run is not None and not run.active:  # stopped while queued: free Ray's queue slot now
            ray.cancel(ref, force=False)
            return
        timer = threading.Timer(CANCEL_AFTER_S, self._force_stop, args=(run_id, ref))
        timer.daemon = True  # never holds a process's exit
        timer.start()

    def _force_stop(self, run_id: str, ref: ray.ObjectRef) -> None:
        """The trainer did not honour the flag in time (e.g. hung): cancel its task and end the run."""
        if self._closed.is_set():
            return
        run = self.store.get_run(run_id)
        if run is None or not run.active:
            return
        ray.cancel(ref, force=True)
        self.store.end_without_events(run_id, "stopped", f"Stopped at step {run.step} (the task was cancelled).")

    def _watch(self) -> None:
        """Wait on the tasks; a task that raised ends its run as failed (if its trainer could not say so)."""
        last_recover = time.monotonic()
        while not self._closed.is_set():
            with self._lock:
                pending = dict(self._refs)
            if not pending:
                self._closed.wait(0.2)
            else:
                done, _ = ray.wait(list(pending.values()), num_returns=len(pending), timeout=0.5,
                                   fetch_local=False)
                by_ref = {ref: run_id for run_id, ref in pending.items()}
                for ref in done:
                    self._settle(by_ref[ref], ref)
            if time.monotonic() - last_recover > RECOVER_EVERY_S:
                last_recover = time.monotonic()
                try:  # "ray-monitor" matches no node: only runs with a stale heartbeat are ended
                    self.store.recover(node="ray-monitor")
                    self._submit_requeued()
                except StoreError as exc:
                    LOG.error("ray executor: %s", exc)

    def _submit_requeued(self) -> None:
        """Send a task for followers queued to train for real after their original stopped or failed."""
        # Such a run has events behind it (last_seq > 0), a fresh queued run none; another server may
        # send it too, and then one claim wins and the other task returns at once.
        for run in self.store.list_runs(statuses=["queued"]):
            with self._lock:
                known = run.id in self._refs
            if run.executor == "ray" and not run.replay and run.last_seq > 0 and not known:
                self.submit(run.id)

    def _settle(self, run_id: str, ref: ray.ObjectRef) -> None:
        """A task ended: if it raised, end its run with a message that says what was lost."""
        with self._lock:
            self._refs.pop(run_id, None)
        try:
            ray.get(ref, timeout=10)
            return
        except ray.exceptions.TaskCancelledError:
            status, message = "stopped", "Stopped (the task was cancelled)."
        except ray.exceptions.RayError as exc:
            status, message = "failed", self._lost_message(run_id, exc)
        try:
            self.store.end_without_events(run_id, status, message)
        except StoreError as exc:
            LOG.error("ray executor: run %s: %s", run_id, exc)

    def _lost_message(self, run_id: str, exc: Exception) -> str:
        """Why a run's task failed, for people: its node went away, or only its worker process."""
        run = self.store.get_run(run_id)
        step = run.step if run else 0
        alive = {n["NodeID"][:12] for n in ray.nodes() if n.get("Alive")}
        node = (run.node or "") if run else ""
        if isinstance(exc, ray.exceptions.NodeDiedError) or (node and node.rsplit("/", 1)[-1] not in alive):
            return f"Failed at step {step}: {LOST_NODE} ({node or 'before it started'}). Train it again."
        return (f"Failed at step {step}: the Ray worker process training it ended unexpectedly "
                f"({type(exc).__name__}). Train it again.")

    def warm(self) -> None:
        """Nothing: a task's worker on the cluster loads its own torch; the page's server has none."""

    def close(self) -> None:
        """Stop watching, cancel this executor's tasks (their runs end as interrupted); disconnect if it connected."""
        self._closed.set()
        self._monitor.join(timeout=5)  # it may be inside ray.wait: let it return before the disconnect
        with self._lock:
            refs, self._refs = dict(self._refs), {}
        for ref in refs.values():
            ray.cancel(ref, force=True)
        if refs:
            # Only runs this process's tasks held: still queued, or no heartbeat since the cancel (a run
            # another server's task trains beats every BEAT_S and is left alone).
            time.sleep(1.0)
            cutoff = time.time() - 0.9
            for run_id in refs:
                run = self.store.get_run(run_id)
                if run is not None and (run.status == "queued" or (
                        run.status == "running" and (run.heartbeat or 0) < cutoff)):
                    self.store.end_without_events(run_id, "interrupted", "Interrupted: the server stopped.")
        if self._owns_connection:
            ray.shutdown()
