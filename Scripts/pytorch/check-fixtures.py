"""Recomputes every case of Fixtures/recurrent-gpt2 with refmodel.py and prints, per case, the
largest absolute difference from the stored expectations: logits after each recurrence count, both
losses, every parameter's gradient, one AdamW step, and the decisions of each halting setting
(the fixed-threshold ones in case.json, the length-aware one in length-halting.json).
Cases with dropout masks (masks.safetensors) run their training pass on those masks.

usage: /tmp/torch-peer/bin/python Scripts/pytorch/check-fixtures.py [FIXTURES_DIR]

Exits non-zero when a difference exceeds what float32 allows (relative 1e-4 on logits and losses,
1e-3 of the largest entry on gradients) or a halting decision differs.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refmodel import (DropoutMasks, RecurrentGPT2, answer_positions, at_positions, dropout_mask_names,  # noqa: E402
                      length_aware_halting)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures", "recurrent-gpt2")


def load_case(folder):
    config = json.load(open(os.path.join(folder, "config.json")))
    model = RecurrentGPT2.from_config(config)
    model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
    case = json.load(open(os.path.join(folder, "case.json")))
    return config, model, case


def given_masks(folder, config, recurrence):
    """The case's dropout masks in the order a pass of `recurrence` steps uses them, or None."""
    path = os.path.join(folder, "masks.safetensors")
    if not os.path.exists(path):
        return None
    stored = load_file(path)
    return DropoutMasks(config.get("embd_pdrop", 0), config.get("attn_pdrop", 0), config.get("resid_pdrop", 0),
                        given=[stored[name] for name in dropout_mask_names(config["n_layer"], recurrence) if name in stored])


def check(name, folder):
    config, model, case = load_case(folder)
    expected = load_file(os.path.join(folder, "expected.safetensors"))
    ids = torch.tensor(case["input_ids"])
    mask = torch.tensor(case["attention_mask"])
    lengths = torch.tensor(case["input_lengths"])
    targets = torch.tensor(case["targets"])
    r = case["recurrence"]
    positions = answer_positions(lengths, ids.shape[1], case["pred_pos"])
    worst = {}

    def note(what, mine, theirs):
        worst[what] = max(worst.get(what, 0.0), (mine - theirs).abs().max().item())
        scale = theirs.abs().max().item()
        limit = 1e-3 * scale if what == "gradients" else 1e-4 * max(scale, 1.0)
        if (mine - theirs).abs().max().item() > limit:
            failures.append(f"{name}: {what} differ by {(mine - theirs).abs().max().item():.3g} (limit {limit:.3g})")

    for k in range(1, r + 3):
        if f"logits.r{k}" not in expected:
            continue
        with torch.no_grad():
            note("logits", model(ids, mask, k, given_masks(folder, config, k)), expected[f"logits.r{k}"])

    logits = at_positions(model(ids, mask, r, given_masks(folder, config, r)), positions)
    for smoothing in (0.0, 0.1):
        loss = F.cross_entropy(logits, targets, label_smoothing=smoothing)
        note("losses", loss.detach(), torch.tensor(case["losses"][f"loss_ls{smoothing}"]))
    loss.backward()
    for key, p in model.named_parameters():
        note("gradients", p.grad, expected[f"grad.{key}"])

    if any(k.startswith("adamw1.") for k in expected):
        before = {k: p.detach().clone() for k, p in model.named_parameters()}
        torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1).step()
        for key, p in model.named_parameters():
            # Entries whose true gradient is 0 (c_attn's key bias) move by ±lr on rounding noise.
            settled = expected[f"grad.{key}"].abs() >= 1e-6
            note("adamw", p.detach()[settled], expected[f"adamw1.{key}"][settled])
            p.data.copy_(before[key])

    for h in case.get("halting", []):
        # The fixed-threshold rule is the length-aware one with H1 = 0.
        iterations, answer, _ = length_aware_halting(model, ids, mask, positions, h["eps_kl"], h["entropy_thresh"], 0.0,
                                                     h["min_iters"], h["max_iters"])
        if iterations != h["iterations_used"] or answer.argmax(-1).tolist() != h["argmax"]:
            failures.append(f"{name}: halting {h} gives {iterations} {answer.argmax(-1).tolist()}")
    halting = len(case.get("halting", []))

    path = os.path.join(folder, "length-halting.json")
    if os.path.exists(path):
        lh = json.load(open(path))
        lh_ids, lh_mask = torch.tensor(lh["input_ids"]), torch.tensor(lh["attention_mask"])
        lh_positions = answer_positions(torch.tensor(lh["input_lengths"]), lh_ids.shape[1], lh["pred_pos"])
        iterations, answer, drivers = length_aware_halting(model, lh_ids, lh_mask, lh_positions, **lh["policy"])
        note("length-halting logits", answer, torch.tensor(lh["answer_logits"]))
        if iterations != lh["iterations"] or drivers != lh["drivers"] or answer.argmax(-1).tolist() != lh["argmax"]:
            failures.append(f"{name}: length-aware halting gives {iterations} {drivers} {answer.argmax(-1).tolist()}")
        halting += 1

    figures = ", ".join(f"{k} {v:.2e}" for k, v in worst.items())
    decided = not any(f.startswith(f"{name}: halting") or f.startswith(f"{name}: length-aware") for f in failures)
    print(f"{name}: max abs difference — {figures}"
          + (f"; {halting} halting settings " + ("reproduced" if decided else "DIFFER") if halting else ""))


failures = []


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else ROOT
    torch.set_num_threads(1)
    cases = sorted(d for d in os.listdir(root) if os.path.exists(os.path.join(root, d, "case.json")))
    if not cases:
        sys.exit(f"no fixture cases (folders with case.json) in {root}")
    for name in cases:
        check(name, os.path.join(root, name))
    if failures:
        sys.exit("FAILED:\n" + "\n".join(failures))
    print(f"OK: {len(cases)} cases reproduced by refmodel.py")


if __name__ == "__main__":
    main()
