"""The Train page: pick activation, optimizer and depth, watch it learn live, compare runs.

The steps live in ui/train.py and ui/train_live.py; the session's keys behind ui/train_state.py's TrainState.
"""

from ui.train import header, lesson_tools, my_runs, open_page, read_config, read_url, show_controls, start_stop
from ui.train_live import code, history, linked_run, live_run
from ui.train_state import TrainState

state = TrainState()
page = open_page(state)  # the store's error stops the page here
linked_run(page)  # a permanent link (?run=) shows that run and stops the page there

current = read_url(page)  # a link's or a preset's config, else the controls' own
show_controls(page, current)
config = read_config(page, current)  # the controls' RunConfig, written back to the URL

header(page)
if not page.present:
    lesson_tools(page, config)  # class banner, presets and the preset's note
runs = my_runs(page)
start_stop(page, config, runs)
live_run(page, runs)
if page.present:  # on a projector the live charts come first, the presets under them
    lesson_tools(page, config)
history(page, runs)
code(page, config)
