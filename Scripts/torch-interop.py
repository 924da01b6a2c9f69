"""Checks that a loop checkpoint loads into the PyTorch statement of the model and computes the same
logits there.

usage: LOOP_INTEROP_DIR=/tmp/interop swift test -c release --package-path Packages/RecurrentDepth --filter Interop
       /tmp/torch-peer/bin/python Scripts/torch-interop.py /tmp/interop [--refmodel ../shared/peers]

The Swift test writes, for a few model configurations, a checkpoint folder (config.json +
model.safetensors) and probe.safetensors (input_ids, attention_mask, logits after `recurrence`
steps). This script builds refmodel.RecurrentGPT2 from config.json, loads the weights with
strict=True (every name and shape must match), runs the same input and compares the logits.
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--refmodel", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "peers"))
    a = ap.parse_args()
    sys.path.insert(0, a.refmodel)
    from refmodel import RecurrentGPT2

    worst = 0.0
    cases = sorted(d for d in os.listdir(a.folder) if os.path.isdir(os.path.join(a.folder, d)))
    for case in cases:
        folder = os.path.join(a.folder, case)
        cfg = json.load(open(os.path.join(folder, "config.json")))
        model = RecurrentGPT2(cfg["vocab_size"], cfg["n_embd"], cfg["n_layer"], cfg["n_head"], cfg["n_positions"],
                              cfg["positional_embedding_type"], cfg["input_injection"], cfg["recurrence"],
                              cfg["layer_norm_epsilon"])
        model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
        model.eval()
        probe = load_file(os.path.join(folder, "probe.safetensors"))
        with torch.no_grad():
            logits = model(probe["input_ids"].long(), probe["attention_mask"])
        diff = ((logits - probe["logits"]).abs() / (probe["logits"].abs() + 1e-3)).max().item()
        worst = max(worst, diff)
        print(f"{case}: max relative difference of logits {diff:.2e}")
    if not cases:
        sys.exit("no checkpoint folders in " + a.folder)
    if worst > 1e-4:
        sys.exit(f"FAILED: logits differ by {worst:.2e}")
    print(f"OK: {len(cases)} loop checkpoints load into PyTorch (strict) and give the same logits")


if __name__ == "__main__":
    main()
