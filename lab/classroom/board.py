"""The class board's data and figures: who is in, every run's numbers and loss curve, exports, the QR code.

Three queries per refresh (members, runs, new loss events); loss curves are read from the
StepsLogged events once and then only what is new, so a board of 300 runs stays cheap.
The figures are in lab/figures/board.py.
"""

from __future__ import annotations

import csv
import io
import json
import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import segno
from sqlalchemy import and_, or_, select

from lab.classroom.classes import ClassRow
from lab.engine.config import RunConfig
from lab.engine.events import finite
from lab.i18n import t
from lab.runs import schema as S
from lab.runs.records import event_from_row
from lab.runs.store import Store
from lab.runs.stored import ACTIVE, run_label

VANISHED = 1e-3  # first-layer gradient norm / output layer's below this: the gradient vanished


@dataclass(frozen=True)
class BoardRun:
    """One run as the board shows it."""

    id: str
    owner: str
    nickname: str
    label: str
    config: RunConfig
    status: str
    step: int
    total_steps: int
    test_acc: float | None
    loss: float | None
    seconds: float | None
    flags: tuple[str, ...]
    replay: bool = False  # an identical run's result, not trained again (lab/runs/replay.py)

    @property
    def scored(self) -> bool:
        """It has a test accuracy (a finite one) to rank and average."""
        return finite(self.test_acc) is not None

    def row(self) -> dict:
        """The results table's row (and the export's): nickname, config, metrics."""
        c = self.config
        return finite({"nickname": self.nickname, "run": self.label, "activation": c.activation,
                       "optimizer": c.optimizer, "lr": c.effective_lr, "depth": c.depth, "width": c.width,
                       "status": self.status, "step": self.step, "total_steps": self.total_steps,
                       "test_acc": self.test_acc, "loss": self.loss,
                       "seconds": round(self.seconds, 1) if self.seconds is not None else None,
                       "flags": " ".join(self.flags)})


@dataclass
class Board:
    """Everything the teacher's board shows of one class at one moment."""

    klass: ClassRow
    members: list[dict]  # nickname, runs, active (joined order)
    runs: list[BoardRun]
    counts: dict[str, int]  # queued, training, finished, stopped (stopped_early of them unstarted), diverged, failed
    best: BoardRun | None
    curves: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)  # run id -> steps, losses

    @property
    def trained(self) -> int:
        """Runs the server trained (or is training): what the class cost."""
        return sum(not r.replay and r.status != "queued" for r in self.runs)

    @property
    def replayed(self) -> int:
        """Runs that replayed (or follow) an identical run instead of training again."""
        return sum(r.replay for r in self.runs)


def flags_of(status: str, depth: int, loss: float | None, grad_first: float | None,
             grad_out: float | None) -> tuple[str, ...]:
    """'diverged' and/or 'vanished' (the first layer's gradient norm tiny next to the output layer's)."""
    out = []
    if status == "diverged" or (loss is not None and not math.isfinite(loss)):
        out.append("diverged")
    if depth >= 1 and grad_first is not None and grad_out and math.isfinite(grad_out) and grad_out > 0 \
            and grad_first / grad_out < VANISHED:
        out.append("vanished")
    return tuple(out)


class CurveCache:
    """Loss curves of runs, read from their StepsLogged events; each refresh reads only new events."""

    def __init__(self, limit: int = 5000):
        self.limit = limit
        self._curves: dict[str, tuple[int, list[int], list[float]]] = {}  # run id -> seen seq, steps, losses
        self._lock = threading.Lock()

    def update(self, store: Store, last_seq: dict[str, int]) -> dict[str, tuple[list[int], list[float]]]:
        """Curves of these runs (run id -> stored last_seq), reading only events not seen yet."""
        with self._lock:
            stale = [(rid, self._curves.get(rid, (0, [], []))[0]) for rid, seq in last_seq.items()
                     if seq > self._curves.get(rid, (0, [], []))[0]]
            for i in range(0, len(stale), 200):  # one query per 200 runs with news
                chunk = stale[i:i + 200]
                fresh = [rid for rid, seen in chunk if seen == 0]
                conds = [and_(S.events.c.run_id == rid, S.events.c.seq > seen) for rid, seen in chunk if seen]
                if fresh:
                    conds.append(S.events.c.run_id.in_(fresh))
                # RunStarted too: a replay that trains for real after all starts its curve afresh.
                query = (select(S.events.c.run_id, S.events.c.seq, S.events.c.kind, S.events.c.payload)
                         .where(S.events.c.kind.in_(("StepsLogged", "RunStarted")), or_(*conds))
                         .order_by(S.events.c.run_id, S.events.c.seq))
                with store.tx() as conn:
                    rows = conn.execute(query).all()
                for rid, seq, kind, payload in rows:
                    seen, steps, losses = self._curves.get(rid, (0, [], []))
                    if kind == "StepsLogged":
                        event = event_from_row(kind, payload)
                        steps += event.steps
                        losses += [finite(v) for v in event.losses]
                    else:
                        steps, losses = [], []
                    self._curves[rid] = (max(seen, seq), steps, losses)
                for rid, _ in chunk:  # runs whose news were not losses still count as read
                    seen, steps, losses = self._curves.get(rid, (0, [], []))
                    self._curves[rid] = (max(seen, last_seq[rid]), steps, losses)
            while len(self._curves) > self.limit:
                self._curves.pop(next(iter(self._curves)))
            return {rid: self._curves[rid][1:] for rid in last_seq if rid in self._curves}


_curve_caches: dict[str, CurveCache] = {}


def curve_cache(store: Store) -> CurveCache:
    """The process's curve cache for this store."""
    return _curve_caches.setdefault(store.url, CurveCache())


_configs: dict[str, RunConfig] = {}  # run id -> its config (a run's config never changes)
RUN_COLUMNS = ("id", "owner", "nickname", "number", "config", "status", "step", "total_steps", "final_loss",
               "test_acc", "seconds", "grad_first", "grad_out", "last_seq", "replay_of", "started")


def _config(run_id: str, text: str) -> RunConfig:
    """The run's RunConfig, parsed once per process."""
    config = _configs.get(run_id)
    if config is None:
        if len(_configs) > 20_000:
            _configs.clear()
        config = _configs[run_id] = RunConfig.from_dict(json.loads(text))
    return config


def board_data(store: Store, klass: ClassRow, curves: bool = True) -> Board:
    """The board of a class: members, runs with flags, counts, best run and (if asked) loss curves."""
    with store.tx() as conn:
        members = conn.execute(select(S.members.c.owner, S.members.c.nickname).where(
            S.members.c.class_id == klass.id).order_by(S.members.c.joined)).all()
        rows = conn.execute(select(*(S.runs.c[name] for name in RUN_COLUMNS)).where(
            S.runs.c.class_id == klass.id).order_by(S.runs.c.created, S.runs.c.number)).all()
    names = {m.owner: m.nickname for m in members}
    runs = []
    for r in rows:
        config = _config(r.id, r.config)
        runs.append(BoardRun(r.id, r.owner, names.get(r.owner) or r.nickname or "?", run_label(r.number, config),
                             config, r.status, r.step, r.total_steps, r.test_acc, r.final_loss, r.seconds,
                             flags_of(r.status, config.depth, r.final_loss, r.grad_first, r.grad_out),
                             r.replay_of is not None))
    per_owner: dict[str, list[BoardRun]] = defaultdict(list)
    for run in runs:
        per_owner[run.owner].append(run)
    people = [{"nickname": m.nickname, "runs": len(per_owner[m.owner]),
               "active": sum(r.status in ACTIVE for r in per_owner[m.owner])} for m in members]
    counts = count_runs(runs)
    counts["stopped_early"] = sum(r.status == "stopped" and r.started is None for r in rows)
    scored = [r for r in runs if r.scored]
    best = max(scored, key=lambda r: (r.test_acc, -(r.seconds or 0))) if scored else None
    board = Board(klass, people, runs, counts, best)
    if curves:
        board.curves = curve_cache(store).update(store, {r.id: r.last_seq for r in rows})
    return board


def count_runs(runs: list[BoardRun]) -> dict[str, int]:
    """How many runs wait, train, finished, were stopped, diverged, or failed (failed or interrupted)."""
    counts = {"queued": 0, "training": 0, "finished": 0, "stopped": 0, "diverged": 0, "failed": 0}
    names = {"running": "training", "interrupted": "failed"}
    for run in runs:
        counts[names.get(run.status, run.status)] += 1
    return counts


# --- the page's words: the table and the notes, in the teacher's language --------------------------------
TABLE_COLUMNS = ("nickname", "run", "status", "test_acc", "loss", "activation", "optimizer", "lr", "depth", "width",
                 "step", "total_steps", "seconds", "flags")
MAX_NAMED = 6  # a note names this many runs, then "and N more"


def table_rows(board: Board, lang: str) -> list[dict]:
    """The results table for the page: translated headers, statuses and flags (the exports keep the raw ones)."""
    out = []
    for run in board.runs:
        row = run.row() | {"status": t(f"class.status.{run.status}", lang),
                           "flags": ", ".join(t(f"room.flag.{f}", lang) for f in run.flags)}
        out.append({t(f"room.col.{name}", lang): row[name] for name in TABLE_COLUMNS})
    return out


def flag_notes(board: Board, lang: str, name=lambda text: text) -> list[str]:
    """One note per flag (vanished, diverged) naming its runs, e.g. 'Vanished gradient in 3 runs: Ada · #2 ...'.

    name(text) escapes a nickname and label for the page's markdown."""
    notes = []
    for flag in ("vanished", "diverged"):
        runs = [r for r in board.runs if flag in r.flags]
        if not runs:
            continue
        named = [name(f"{r.nickname} · {r.label}") for r in runs[:MAX_NAMED]]
        if len(runs) > MAX_NAMED:
            named.append(t("room.note.more", lang, n=len(runs) - MAX_NAMED))
        key = f"room.note.{flag}.{'one' if len(runs) == 1 else 'many'}"
        notes.append(t(key, lang, n=len(runs), runs="; ".join(named)))
    return notes


# --- exports and the QR code -------------------------------------------------------------------------
def export_rows(board: Board) -> list[dict]:
    """One JSON-ready dict per run: nickname, run id, label, status, flags, config, metrics."""
    return [finite({"nickname": r.nickname, "run_id": r.id, "label": r.label, "status": r.status,
                    "flags": list(r.flags), "config": r.config.to_dict(),
                    "metrics": {"step": r.step, "total_steps": r.total_steps, "test_acc": r.test_acc,
                                "final_loss": r.loss, "seconds": r.seconds}}) for r in board.runs]


def export_json(board: Board) -> str:
    """The class's results as JSON text (a list, one object per run)."""
    return json.dumps({"class": board.klass.name, "code": board.klass.code, "runs": export_rows(board)},
                      indent=1, ensure_ascii=False)


def export_csv(board: Board) -> str:
    """The class's results as CSV text: one row per run, config fields and metrics as columns."""
    rows = []
    for item in export_rows(board):
        config = dict(item["config"])
        config["opt_params"] = json.dumps(config["opt_params"], sort_keys=True)
        rows.append({"nickname": item["nickname"], "run_id": item["run_id"], "status": item["status"],
                     "flags": " ".join(item["flags"]), **config, **item["metrics"]})
    out = io.StringIO()
    names = list(rows[0]) if rows else ["nickname", "run_id", "status", "flags", *RunConfig().to_dict(), "test_acc"]
    writer = csv.DictWriter(out, fieldnames=names)
    writer.writeheader()
    for row in rows:  # a cell starting with = + - @ would be a formula in a spreadsheet: quote it
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" else v) for k, v in row.items()})
    return out.getvalue()


def qr_png(text: str, scale: int = 10) -> bytes:
    """A QR code of text (the join link) as PNG bytes."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def qr_svg(text: str, scale: int = 10) -> str:
    """A QR code of text as an inline SVG string."""
    return segno.make(text, error="m").svg_inline(scale=scale, border=2)
