"""`python -m lab predict` (placeholder until the Draw page issue lands)."""


def add_parser(sub) -> None:
    """Register the predict subcommand."""
    p = sub.add_parser("predict", help="predict digits in image files")
    p.add_argument("images", nargs="+")
    p.add_argument("--model")


def run(args) -> int:
    """Not built yet."""
    print("predict: not built yet")
    return 2
