#!/usr/bin/env bash
# Creates a Python virtual environment with PyTorch, safetensors and numpy for the scripts beside
# this one (the reference model, the peer benchmark, the fixture tools). Does nothing when DIR
# already has them.
# usage: Scripts/pytorch/setup-torch.sh [DIR]      (DIR defaults to /tmp/torch-peer)
#        then: DIR/bin/python Scripts/pytorch/...
set -euo pipefail
dir=${1:-/tmp/torch-peer}
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'import torch, safetensors, numpy' 2>/dev/null; then
    echo "$dir already has torch $("$dir/bin/python" -c 'import torch; print(torch.__version__)')"
    exit 0
fi
command -v python3 >/dev/null || { echo "setup-torch.sh: python3 not found; install Python 3.9 or newer" >&2; exit 1; }
python3 -m venv "$dir"
"$dir/bin/pip" install --quiet --upgrade pip
"$dir/bin/pip" install --quiet torch safetensors numpy
echo "$dir has torch $("$dir/bin/python" -c 'import torch; print(torch.__version__)')"
