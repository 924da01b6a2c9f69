"""Writes the fixture cases of Fixtures/recurrent-gpt2 that test dropout placement and the
length-aware halting rule, computed by refmodel.py (float32, CPU):

- `dropout-r2/`: a small model with all three dropout rates above 0, the masks of one training pass
  (masks.safetensors), and the logits, losses and gradients of that pass on those masks;
- `learned-r3/length-halting.json`: the `entropy-kl-length` rule on the learned-r3 model and a
  batch of its own: per example the halting step, the halt driver and the answer.

usage: /tmp/torch-peer/bin/python Scripts/pytorch/make-fixtures.py [--only dropout|length-halting] [--out FIXTURES_DIR]

Each case is checked before it is written: the dropout masks must change the output, and the
halting parameters must give several halting steps, every driver, and different decisions when the
threshold uses each example's own length instead of the padded one, when a tie between the two
conditions' first steps counts as `entropy`, or when min_iters is ignored — so that a test built on
the case fails under those mistakes.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refmodel import (DropoutMasks, RecurrentGPT2, answer_positions, at_positions, dropout_mask_names,  # noqa: E402
                      length_aware_halting)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures", "recurrent-gpt2")


def padded_batch(generator, batch, length, vocab, lengths):
    """Random token ids 1..vocab−1 right-padded with 0 to `length`, and the attention mask."""
    lengths = torch.tensor(lengths)
    mask = (torch.arange(length)[None, :] < lengths[:, None]).long()
    ids = torch.randint(1, vocab, (batch, length), generator=generator) * mask
    return ids, mask, lengths


def write_json(path, value):
    """Indented JSON with each list of numbers on one line."""
    def text(v, indent):
        if isinstance(v, dict):
            inner = ",\n".join(f"{indent}  {json.dumps(k)}: {text(x, indent + '  ')}" for k, x in v.items())
            return "{\n" + inner + "\n" + indent + "}"
        if isinstance(v, list) and any(isinstance(x, (list, dict)) for x in v):
            return "[\n" + ",\n".join(indent + "  " + text(x, indent + "  ") for x in v) + "\n" + indent + "]"
        return json.dumps(v)
    with open(path, "w") as f:
        f.write(text(value, "") + "\n")


def make_dropout_case(root):
    name = "dropout-r2"
    config = dict(vocab_size=40, n_embd=32, n_layer=2, n_head=4, n_positions=8, positional_embedding_type="learned",
                  input_injection=True, recurrence=2, layer_norm_epsilon=1e-5,
                  embd_pdrop=0.2, attn_pdrop=0.3, resid_pdrop=0.25)
    rates = (config["embd_pdrop"], config["attn_pdrop"], config["resid_pdrop"])
    torch.manual_seed(23)
    model = RecurrentGPT2.from_config(config)
    # Weights larger than a fresh initialization, so that every one of them moves the logits.
    with torch.no_grad():
        for key, p in model.named_parameters():
            if key.endswith("ln_1.weight") or key.endswith("ln_2.weight") or key == "ln_f.weight":
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif key.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
            elif key.startswith("blocks."):
                p.copy_(0.15 * torch.randn_like(p))
    generator = torch.Generator().manual_seed(23)
    ids, mask, lengths = padded_batch(generator, 4, 6, config["vocab_size"], [6, 4, 2, 5])
    targets = torch.randint(1, config["vocab_size"], (4,), generator=generator)
    r = config["recurrence"]
    positions = answer_positions(lengths, ids.shape[1], "inp_len")

    drawn = DropoutMasks(*rates, generator=generator)
    logits = model(ids, mask, r, drawn)
    names = dropout_mask_names(config["n_layer"], r)
    assert len(drawn.used) == len(names)
    masks = dict(zip(names, drawn.used))
    b, t, d, h = ids.shape[0], ids.shape[1], config["n_embd"], config["n_head"]
    for key, m in masks.items():
        assert list(m.shape) == ([b, h, t, t] if key.endswith("attn_probs") else [b, t, d]), key

    expected = {}
    for k in range(1, r + 1):
        with torch.no_grad():
            expected[f"logits.r{k}"] = model(ids, mask, k, DropoutMasks(*rates, given=drawn.used))
    assert torch.equal(expected[f"logits.r{r}"], logits.detach())
    with torch.no_grad():
        undropped = model(ids, mask, r)
    assert (undropped - logits).abs().max() > 1, "the masks should change the logits"

    answer = at_positions(logits, positions)
    losses = {f"loss_ls{s}": F.cross_entropy(answer, targets, label_smoothing=s).item() for s in (0.0, 0.1)}
    F.cross_entropy(answer, targets, label_smoothing=0.1).backward()
    for key, p in model.named_parameters():
        expected[f"grad.{key}"] = p.grad.clone()

    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), config)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, os.path.join(folder, "model.safetensors"))
    save_file({k: v.contiguous() for k, v in masks.items()}, os.path.join(folder, "masks.safetensors"))
    save_file({k: v.detach().contiguous() for k, v in expected.items()}, os.path.join(folder, "expected.safetensors"))
    write_json(os.path.join(folder, "case.json"), dict(
        description="one training pass of the model in model.safetensors/config.json with the dropout masks in "
                    "masks.safetensors (PyTorch, float32)",
        input_ids=ids.tolist(), attention_mask=mask.tolist(), input_lengths=lengths.tolist(), targets=targets.tolist(),
        pred_pos="inp_len", recurrence=r, losses=losses,
        masks_note="masks.safetensors: inverted-dropout masks (0 or 1/(1 - p), float32) in the order the pass draws them: "
                   "`embedding` [B, T, D] on token + position embedding (the input injection adds the dropped "
                   "embedding); then for step s and block l: `stepS.blockL.attn_probs` [B, H, T, T] on the attention "
                   "probabilities after softmax, `stepS.blockL.attn_out` [B, T, D] on the attention branch after "
                   "c_proj, `stepS.blockL.mlp_out` [B, T, D] on the MLP branch after its c_proj",
        logits_note="expected.safetensors logits.rK: logits at every position after K steps, [B, T, V], using the "
                    "masks of those K steps (a prefix of the list)",
        loss_note="cross-entropy of the logits at pred_pos after `recurrence` steps, mean over the batch",
        grad_note="expected.safetensors grad.NAME: d loss_ls0.1 / d NAME through the masks; the unembedding is tied "
                  "to token_embedding.weight, so its gradient is the sum of both uses"))
    print(f"{name}: {len(masks)} masks, loss_ls0.1 {losses['loss_ls0.1']:.4f}, "
          f"largest change of a logit by the masks {(undropped - logits).abs().max().item():.2f}")


def conditions(model, ids, mask, positions, steps):
    """KL(p_t ‖ p_{t−1}) and H(p_t) at the answer positions for t = 1 ..< steps, as [t − 1][example]."""
    kl, entropy, previous = [], [], None
    with torch.no_grad():
        for h in model.steps(ids, mask, steps):
            log_p = at_positions(model.readout(h), positions).log_softmax(-1)
            if previous is not None:
                p = log_p.exp()
                kl.append((p * (log_p - previous)).sum(-1).tolist())
                entropy.append((-(p * log_p).sum(-1)).tolist())
            previous = log_p
    return kl, entropy


def decide(kl, entropy, seq_lens, rule, tie="kl"):
    """The length-aware rule from the conditions' values: per example (iterations, driver, first_kl,
    first_entropy), and the smallest distance of a compared value from its bound. `seq_lens` and
    `tie` let the caller make the rule's mistakes the fixture must expose."""
    out, margin = [], float("inf")
    for e, seq_len in enumerate(seq_lens):
        threshold = rule["h0"] + rule["h1"] / seq_len
        first_kl = first_entropy = None
        decision = (rule["max_iters"], "none")
        for t in range(1, rule["max_iters"]):
            margin = min(margin, abs(kl[t - 1][e] - rule["eps_kl"]), abs(entropy[t - 1][e] - threshold))
            kl_holds, entropy_holds = kl[t - 1][e] < rule["eps_kl"], entropy[t - 1][e] < threshold
            first_kl = t if kl_holds and first_kl is None else first_kl
            first_entropy = t if entropy_holds and first_entropy is None else first_entropy
            if t + 1 >= rule["min_iters"] and kl_holds and entropy_holds:
                later_kl = first_kl >= first_entropy if tie == "kl" else first_kl > first_entropy
                decision = (t + 1, "kl" if later_kl else "entropy")
                break
        out.append(decision + (first_kl, first_entropy))
    return out, margin


def make_length_halting(root):
    case = "learned-r3"
    folder = os.path.join(root, case)
    config = json.load(open(os.path.join(folder, "config.json")))
    model = RecurrentGPT2.from_config(config)
    model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
    generator = torch.Generator().manual_seed(5)
    t = 8
    lengths = torch.randint(2, t + 1, (10,), generator=generator)
    lengths[0] = t
    ids, mask, lengths = padded_batch(generator, 10, t, config["vocab_size"], lengths.tolist())
    positions = answer_positions(lengths, t, "inp_len")
    # eps_kl and max_iters are the reference's training-time values; H0, H1 and min_iters are
    # chosen for this model, whose entropies are far below the reference's H0 = 3.
    rule = dict(eps_kl=0.5, h0=0.3, h1=1.0, min_iters=3, max_iters=8)
    iterations, answers, drivers = length_aware_halting(model, ids, mask, positions, **rule)
    kl, entropy = conditions(model, ids, mask, positions, rule["max_iters"])
    padded = [t] * len(iterations)
    made, margin = decide(kl, entropy, padded, rule)
    assert [(n, d) for n, d, _, _ in made] == list(zip(iterations, drivers)), "decide() disagrees with refmodel.py"
    assert len({n for n, d in zip(iterations, drivers) if d != "none"}) >= 3, f"too few distinct halting steps: {iterations}"
    assert set(drivers) == {"kl", "entropy", "none"}, f"not every driver occurs: {drivers}"
    assert decide(kl, entropy, lengths.tolist(), rule)[0] != made, "a threshold from each example's own length decides the same"
    assert decide(kl, entropy, padded, rule, tie="entropy")[0] != made, "no example has a tie of first steps"
    assert decide(kl, entropy, padded, dict(rule, min_iters=1))[0] != made, "min_iters changes nothing"
    assert margin > 1e-3, f"a compared value lies within {margin:.1e} of its bound"

    write_json(os.path.join(folder, "length-halting.json"), dict(
        description="the entropy-kl-length halting rule on the model of this folder (PyTorch, float32)",
        note="at each step t >= 1 (0-based), at position input_length - 1: an example halts at the first t with "
             "t + 1 >= min_iters, KL(p_t || p_{t-1}) < eps_kl and H(p_t) < h0 + h1 / seq_len, seq_len the padded "
             "length T of the batch; it answers with that step's logits, or with step max_iters' if it never halts. "
             "driver: the condition that began to hold last (first_kl / first_entropy: the first t >= 1 at which "
             "each held, null if never before halting): kl when first_kl >= first_entropy, entropy otherwise, none "
             "when the example never halted. iterations are 1-based.",
        input_ids=ids.tolist(), attention_mask=mask.tolist(), input_lengths=lengths.tolist(), pred_pos="inp_len",
        policy=rule, seq_len=t, threshold=rule["h0"] + rule["h1"] / t,
        iterations=iterations, drivers=drivers, halted=[d != "none" for d in drivers],
        first_kl=[m[2] for m in made], first_entropy=[m[3] for m in made],
        argmax=answers.argmax(-1).tolist(), answer_logits=answers.tolist()))
    print(f"{case}/length-halting.json: iterations {iterations}, drivers {drivers}, "
          f"closest comparison {margin:.3f} from its bound")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["dropout", "length-halting"])
    ap.add_argument("--out", default=ROOT, help="the fixtures folder (default: the repository's)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.only in (None, "dropout"):
        make_dropout_case(a.out)
    if a.only in (None, "length-halting"):
        make_length_halting(a.out)


if __name__ == "__main__":
    main()
