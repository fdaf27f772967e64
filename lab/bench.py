"""`python -m lab bench` (placeholder)."""


def add_parser(sub) -> None:
    """Register the bench subcommand."""
    sub.add_parser("bench", help="time the engine against the lesson's loop")


def run(args) -> int:
    """Not built yet."""
    return 2
