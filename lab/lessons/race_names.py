"""The optimizer race's names without torch: its surfaces and racers, for pages that only name them.

lab/lessons/race.py builds the surfaces and racers themselves (with torch) from these names.
"""

from __future__ import annotations

SURFACE_KEYS = ("beale", "rosenbrock", "saddle", "valley", "rastrigin")
RACER_ORDER = ("sgd", "momentum", "nag", "adagrad", "rmsprop", "adadelta", "adam", "nadam",
               "adamax", "adamw", "radam", "sparseadam", "asgd", "rprop", "lbfgs")
DEFAULT_RACERS = ("sgd", "momentum", "nag", "adagrad", "rmsprop", "adadelta", "adam")
