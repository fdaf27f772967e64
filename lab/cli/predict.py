"""`python -m lab predict IMAGE [IMAGE ...] [--model PATH]`: the Draw page's pipeline on image files.

Prints one JSON object per line for each readable image ({"file", "prediction", "probabilities"})
and a one-line message on stderr for each bad one; exit status 1 if any image failed, 2 if the
model could not be loaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lab.i18n import t


def add_parser(sub) -> None:
    """Register the predict subcommand."""
    p = sub.add_parser("predict", help="predict the digit in PNG/JPEG image files (one JSON line each)")
    p.add_argument("images", nargs="+", type=Path, help="PNG or JPEG files, each holding one digit")
    p.add_argument("--model", type=Path, default=None,
                   help="a model saved by `python -m lab train --save` (default: data/default_model.pt)")


def predict_file(model, path: Path) -> dict:
    """The JSON-able result for one image file; UploadError/OSError when it cannot be used."""
    from lab.draw.predict import probabilities
    from lab.draw.preprocess import preprocess
    from lab.draw.uploads import decode_upload

    steps = preprocess(decode_upload(path.read_bytes()))
    probs = probabilities(model, steps.vector)
    return {"file": str(path), "prediction": int(probs.argmax()),
            "probabilities": [round(float(p), 6) for p in probs]}


def run(args) -> int:
    """Load the model, then predict each image in turn; bad files are reported, not raised."""
    from lab.draw.modelfile import ModelFileError, load_model
    from lab.draw.predict import DEFAULT_MODEL_PATH
    from lab.draw.uploads import UploadError

    try:
        model, _ = load_model(args.model or DEFAULT_MODEL_PATH)
    except ModelFileError as exc:
        print("error: " + t("cli.predict.model_error", "en", message=exc), file=sys.stderr)
        return 2
    model.eval()
    failed = 0
    for path in args.images:
        try:
            if not path.is_file():
                raise FileNotFoundError(t("cli.predict.not_found", "en"))
            result = predict_file(model, path)
        except (UploadError, OSError) as exc:
            message = exc.args[0] if isinstance(exc, FileNotFoundError) else str(exc)
            print("error: " + t("cli.predict.file_error", "en", file=path, message=message), file=sys.stderr)
            failed += 1
            continue
        print(json.dumps(result), flush=True)
    return 1 if failed else 0
