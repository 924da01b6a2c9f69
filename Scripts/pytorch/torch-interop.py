"""Checks that loop checkpoints load into refmodel.py's PyTorch model and compute the same logits
there.

usage: LOOP_INTEROP_DIR=/tmp/interop swift test -c release -Xswiftc -enable-testing --package-path Packages/RecurrentDepth \
           --filter InteropExportTests
       /tmp/torch-peer/bin/python Scripts/pytorch/torch-interop.py /tmp/interop

The Swift test writes, for a few model configurations, a checkpoint folder (config.json +
model.safetensors) and probe.safetensors (input_ids, attention_mask, and loop's logits after the
config's `recurrence` steps). This script builds the model from config.json, loads the weights with
strict=True (every name and shape must match), runs the same input and compares the logits.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refmodel import RecurrentGPT2  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    if not os.path.isdir(root):
        sys.exit(f"{root}: not a folder")
    cases = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if not cases:
        sys.exit(f"no checkpoint folders in {root}")
    worst = 0.0
    for case in cases:
        folder = os.path.join(root, case)
        model = RecurrentGPT2.from_config(json.load(open(os.path.join(folder, "config.json"))))
        model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
        probe = load_file(os.path.join(folder, "probe.safetensors"))
        with torch.no_grad():
            logits = model(probe["input_ids"].long(), probe["attention_mask"])
        difference = ((logits - probe["logits"]).abs() / (probe["logits"].abs() + 1e-3)).max().item()
        worst = max(worst, difference)
        print(f"{case}: max relative difference of logits {difference:.2e}")
    if worst > 1e-4:
        sys.exit(f"FAILED: logits differ by {worst:.2e}")
    print(f"OK: {len(cases)} loop checkpoints load into PyTorch (strict) and give the same logits")


if __name__ == "__main__":
    main()
