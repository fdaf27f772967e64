"""Command line: python -m lab train | runs | predict | bench."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from lab.engine.config import CHOICES, PRESETS, ConfigError, RunConfig, parse_field


def _choice_type(name: str):
    """argparse type that accepts one of a field's choices, case-insensitively."""
    allowed = CHOICES[name]

    def parse(text: str) -> str:
        value = text.lower()
        if value not in allowed:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of: {' '.join(allowed)}")
        return value

    return parse


def _field_type(name: str):
    """argparse type for a numeric or boolean RunConfig field."""

    def parse(text: str):
        try:
            value = parse_field(name, text)
            RunConfig(**{name: value})
        except (ValueError, ConfigError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
        return value

    return parse


def _opt_params(text: str) -> dict[str, str]:
    """'momentum=0.9,nesterov=true' -> {'momentum': '0.9', 'nesterov': 'true'}."""
    out = {}
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{item!r}: expected name=value")
        out[key.strip()] = value.strip()
    return out


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (no usage dump), exit status 2."""

    def error(self, message: str):
        """Print `prog: error: message` and exit 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_train_parser(sub) -> None:
    """Flags for `train`: every RunConfig field, a preset, --json and --save."""
    p = sub.add_parser("train", help="train one config on MNIST and print its progress")
    p.add_argument("--preset", type=str.lower, choices=sorted(PRESETS),
                   help="start from a preset; other flags override it")
    for f in dataclasses.fields(RunConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.name in CHOICES:
            p.add_argument(flag, type=_choice_type(f.name), metavar="{" + ",".join(CHOICES[f.name]) + "}")
        elif f.name == "opt_params":
            p.add_argument(flag, type=_opt_params, metavar="NAME=VALUE,...",
                           help="optimizer settings, e.g. momentum=0.9,nesterov=true")
        elif f.name == "augment":
            p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
        else:
            p.add_argument(flag, type=_field_type(f.name))
    p.add_argument("--json", type=Path, help="write the whole run as JSON to this path")
    p.add_argument("--save", type=Path, help="save the trained model (weights_only loadable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--reuse", action="store_true",
                   help="replay an identical earlier run (same config, seed, engine, torch, device and threads) "
                        "from the store instead of training it again")
    from lab.cli.runs import add_store_flags

    add_store_flags(p)
    p.add_argument("--ray", metavar="ADDRESS", help="train on this Ray cluster (e.g. 10.0.0.5:6379)")


def config_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> RunConfig:
    """The RunConfig the flags describe (preset first, then each given flag)."""
    base = PRESETS[args.preset] if args.preset else RunConfig()
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig)
               if getattr(args, f.name, None) is not None}
    raw_opt = changes.pop("opt_params", None)
    try:
        config = base.replace(**changes)
        if raw_opt:
            from lab.engine.optim_table import parse_opt_params

            good, bad = parse_opt_params(config.optimizer, raw_opt)
            if bad:
                raise ConfigError("; ".join(bad))
            config = config.replace(opt_params={**config.opt_params, **good})
    except ConfigError as exc:
        parser.error(str(exc))
    return config


def run_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`python -m lab train`: record the run in the store, train it (here or on Ray), show progress, write files."""
    from lab.cli.progress import ProgressPrinter
    from lab.cli.runs import train_stored, write_outputs
    from lab.runs.store import StoreError

    config = config_from_args(args, parser)
    started = time.perf_counter()
    printer = ProgressPrinter(quiet=args.quiet)
    try:
        store, run = train_stored(config, args, printer)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    printer.close()
    wall = time.perf_counter() - started
    record = store.record(run.id)
    where = f"device {record.device or '-'}" + (f", node {run.node}" if args.ray else "")
    print(f"{run.status}: {run.message} ({wall:.1f} s wall, {where})")
    write_outputs(store, run, args.json, args.save)
    return 0 if run.status in ("finished", "stopped") else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the subcommand."""
    parser = OneLineParser(prog="python -m lab", description="ReLU Lab engine")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    add_train_parser(sub)
    from lab.cli import bench
    from lab.cli import predict as cli_predict
    from lab.cli import runs as cli_runs

    cli_predict.add_parser(sub)
    bench.add_parser(sub)
    cli_runs.add_runs_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "train":
        return run_train(args, parser)
    if args.command == "runs":
        return cli_runs.run_runs(args)
    if args.command == "predict":
        return cli_predict.run(args)
    return bench.run(args)


if __name__ == "__main__":
    sys.exit(main())
