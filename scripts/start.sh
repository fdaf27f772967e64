#!/usr/bin/env bash
# Install the app's packages into .venv (once) and start ReLU Lab on http://localhost:8501.
#   bash scripts/start.sh          torch from PyPI: the CUDA build on Linux x86_64 (an NVIDIA GPU is used),
#                                  the CPU build on macOS and Windows (requirements/local.txt)
#   bash scripts/start.sh --cpu    Linux without an NVIDIA GPU: the CPU-only torch that Community Cloud
#                                  gets (requirements.txt, ~5 GB less; needs download.pytorch.org)
# Other arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=requirements/local.txt
if [ "${1:-}" = "--cpu" ]; then REQUIREMENTS=requirements.txt; shift; fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
exec .venv/bin/python -m streamlit run app.py "$@"
