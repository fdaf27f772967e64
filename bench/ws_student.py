"""One browser tab as Streamlit's WebSocket protocol sees it (BackMsg / ForwardMsg), without a browser.

bench/class_load.py's HTTP-level student: its own owner cookie, a rerun of a page with a query string, the
▶ Train button's trigger, then the page's auto-rerun fragments at the intervals the server asks for.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

QUERY = "lang=en&activation=relu&train_subset=2000&epochs=1&depth=2&width=64"
COOKIE = "relulab_owner"  # lab.web.presence.COOKIE: a browser's owner token after its first visit
FULL_RUN, FRAGMENT_RUN = 0, 3  # ForwardMsg.ScriptFinishedStatus: FINISHED_SUCCESSFULLY, ..._FRAGMENT_RUN_...


class Student:
    """One browser tab, as the WebSocket protocol sees it: load /train, click ▶ Train, poll until the run ended."""

    def __init__(self, name: str, port: int, query: str = QUERY, page: str = "train"):
        self.name, self.port, self.query, self.page = name, port, query, page
        self.token = f"bench-{name}-{random.getrandbits(40):010x}"  # 16..64 chars [A-Za-z0-9_-]
        self.page_hash = ""
        self.auto: dict[str, float] = {}  # fragment id -> interval (s), as the server asked
        self.start_id, self.start_disabled = None, None  # the ▶ Train button in the current full run
        self.finished = asyncio.Event()  # a script run (full or fragment) finished
        self.last_status = None
        self.errors: list[str] = []  # exceptions the page showed
        self.t: dict[str, float] = {}
        self.fragment_reruns = 0
        self.bytes_in = 0

    def rerun(self, widgets: tuple = (), fragment: str = "") -> bytes:
        """A rerun_script BackMsg as the frontend sends it (page by name until the server says its hash)."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.page_name = "" if self.page_hash else self.page
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"http://127.0.0.1:{self.port}/{self.page}?{self.query}"
        state.widget_states.widgets.extend(widgets)
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        return msg.SerializeToString()

    def handle(self, data: bytes) -> None:
        """Fold one ForwardMsg into what the tab knows."""
        self.bytes_in += len(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            if not msg.metadata.run.fragment_ids:  # a full run: the browser drops its timers
                self.auto.clear()
                self.start_id = self.start_disabled = None
        elif kind == "navigation":  # st.navigation's page (new_session carries app.py's hash)
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string  # the page rewrote its URL
        elif kind == "auto_rerun":
            self.auto[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.auto.pop(fid, None)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what == "button" and element.button.id.endswith("-train_start"):
                self.start_id, self.start_disabled = element.button.id, element.button.disabled
            elif what == "exception":
                self.errors.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif kind == "script_finished":
            self.last_status = msg.script_finished
            self.finished.set()

    async def until_finished(self, ws, timeout: float = 300.0) -> int:
        """Read messages until a script run finishes; its status."""
        self.finished.clear()
        deadline = time.monotonic() + timeout
        while not self.finished.is_set():
            self.handle(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
        return self.last_status

    async def session(self, click: bool, all_done: asyncio.Event | None, timeout: float = 900.0) -> dict:
        """The tab's life: load the page, click ▶ Train, poll the fragments until the run ended (and the class)."""
        self.t["connect"] = time.time()
        url = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=120,
                                      additional_headers={"Cookie": f"{COOKIE}={self.token}"}) as ws:
            await ws.send(self.rerun())
            while await self.until_finished(ws) != FULL_RUN:
                pass
            self.t["page"] = time.time()
            if not click:
                return self.report()
            if self.start_id is None:
                raise RuntimeError(f"{self.name}: no ▶ Train button (errors: {self.errors})")
            self.t["click"] = time.time()
            await ws.send(self.rerun((WidgetState(id=self.start_id, trigger_value=True),)))
            while await self.until_finished(ws) != FULL_RUN:
                pass
            self.t["clicked_page"] = time.time()
            seen_active = bool(self.start_disabled)
            due: dict[str, float] = {}
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.start_disabled is not None and not self.start_disabled and seen_active \
                        and "ended_seen" not in self.t:
                    self.t["ended_seen"] = time.time()
                if "ended_seen" in self.t and (all_done is None or all_done.is_set()):
                    break
                seen_active |= bool(self.start_disabled)
                now = time.monotonic()
                for fid in list(due):
                    if fid not in self.auto:
                        del due[fid]
                for fid, interval in self.auto.items():
                    due.setdefault(fid, now + interval)
                fid = min(due, key=due.get) if due else None
                wait = min(due[fid] - now, 0.5) if fid else 0.5
                if wait > 0:  # read what comes meanwhile (a rerun the server started itself)
                    try:
                        self.handle(await asyncio.wait_for(ws.recv(), wait))
                    except TimeoutError:
                        pass
                    continue
                # A fragment's timer fired: rerun it and read until it (or the full run it asked for) is done.
                due[fid] = time.monotonic() + self.auto[fid]
                self.fragment_reruns += 1
                await ws.send(self.rerun(fragment=fid))
                await self.until_finished(ws)
            else:
                raise RuntimeError(f"{self.name}: the page never showed the run ended")
        return self.report()

    def report(self) -> dict:
        """This tab's timings and what it saw."""
        return {"name": self.name, "token": self.token, "port": self.port, "t": self.t, "errors": self.errors,
                "fragment_reruns": self.fragment_reruns, "mb_received": round(self.bytes_in / 2**20, 1)}


def seeded(name: str, port: int) -> tuple[str, int, str]:
    """A tab's spec whose run has a seed of its own: identical configs train once and replay (issue 24)."""
    return name, port, f"{QUERY}&seed={next(_SEEDS)}"


_SEEDS = itertools.count(1000)


async def students(specs: list[tuple], click: bool = True, tab: type[Student] = Student) -> list[dict]:
    """Tabs that open at once (specs: each tab's arguments); each polls until every tab has seen its run end."""
    done = asyncio.Event()
    tabs = [tab(*spec) for spec in specs]
    left = len(tabs)

    async def one(tab: Student) -> dict:
        """One tab's life; the last to end lets every tab close."""
        nonlocal left
        try:
            return await tab.session(click, done)
        finally:
            left -= 1
            if left == 0:
                done.set()

    async def watch() -> None:
        """Every tab past its run's end: all may close."""
        while not done.is_set():
            if all("ended_seen" in t.t or not click for t in tabs):
                done.set()
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    try:
        return await asyncio.gather(*(one(t) for t in tabs))
    finally:
        done.set()
        await watcher
