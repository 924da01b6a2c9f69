"""The recurrent-depth GPT-2 in PyTorch: the statement of the model that loop's Swift code is
checked against (fixtures, checkpoint interop, the peer benchmark).

Math (GPT-2 blocks as transformers 4.x computes them):

    e = dropout_emb(tok_emb[ids] + pos[0:T])                     positions: learned, sinusoidal or none
    h = e
    for t in 0..<r:
        if input_injection and t > 0: h = h + e
        for block in blocks:
            h = h + dropout_res(attn.c_proj(attention(ln_1(h))))
            h = h + dropout_res(mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2(h)))))
    logits = ln_f(h) @ tok_embᵀ                                  unembedding tied, no bias

attention: q, k, v from one projection `c_attn` (weights stored [in, out]), scores q·k / sqrt(head
size), future keys set to the float32 minimum, then (1 − mask[key]) · −10000 added, softmax,
dropout_attn on the probabilities, times v, heads joined.

Dropout is inverted: a kept entry is scaled by 1/(1 − p). Masks are drawn in the order the pass
uses them — the embedding, then for every step and every block: the attention probabilities
[B, H, T, T], the attention branch [B, T, D], the MLP branch [B, T, D] — which is also the order
loop's Swift model draws them in. `DropoutMasks` can hand out given masks instead of drawing, so a
test can run both sides on the same masks.

The parameter names are those of the reference study's state_dict (`token_embedding.weight`,
`blocks.0.attn.c_attn.weight`, ...), so a checkpoint written by either side loads in the other.
"""
import math

import torch
import torch.nn as nn


class DropoutMasks:
    """Where a training pass gets its dropout masks: drawn from `generator`, or, when `given` is a
    list, taken from it in order. Every mask used is appended to `used` (0 or 1/(1 − p), float32)."""

    def __init__(self, embedding=0.0, attention=0.0, residual=0.0, generator=None, given=None):
        self.rates = {"embedding": embedding, "attention": attention, "residual": residual}
        self.generator = generator
        self.given = None if given is None else list(given)
        self.used = []

    def apply(self, kind, x):
        p = self.rates[kind]
        if p == 0:
            return x
        if self.given is not None:
            if not self.given:
                raise ValueError(f"dropout: no given mask left for a {kind} mask of shape {list(x.shape)}")
            mask = self.given.pop(0)
            if list(mask.shape) != list(x.shape):
                raise ValueError(f"dropout: the next given mask is {list(mask.shape)}, the {kind} input is {list(x.shape)}")
        else:
            keep = torch.rand(x.shape, generator=self.generator) >= p
            scale = torch.tensor(1.0) / (1 - torch.tensor(p, dtype=torch.float32))
            mask = keep.to(torch.float32) * scale
        self.used.append(mask)
        return x * mask


def dropout_mask_names(layers, recurrence):
    """Names for the masks of a pass of `recurrence` steps, in the order the pass draws them (with
    every rate above 0): `embedding`, then per step S and block L `stepS.blockL.attn_probs`,
    `stepS.blockL.attn_out` and `stepS.blockL.mlp_out`."""
    return ["embedding"] + [f"step{t}.block{l}.{site}" for t in range(recurrence) for l in range(layers)
                            for site in ("attn_probs", "attn_out", "mlp_out")]


def no_dropout(kind, x):
    return x


class Projection(nn.Module):
    """x @ weight + bias with weight stored [inputs, outputs] (GPT-2's Conv1D)."""

    def __init__(self, inputs, outputs):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(inputs, outputs) * 0.02)
        self.bias = nn.Parameter(torch.zeros(outputs))

    def forward(self, x):
        return x @ self.weight + self.bias


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = Projection(d, 3 * d)
        self.c_proj = Projection(d, d)

    def forward(self, x, padding_bias, drop):
        b, t, d = x.shape
        size = d // self.heads

        def split(z):  # [B, T, D] -> [B, H, T, size]
            return z.reshape(b, t, self.heads, size).permute(0, 2, 1, 3)

        q, k, v = (split(z) for z in self.c_attn(x).chunk(3, dim=-1))
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(size)
        future = torch.ones(t, t, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(future, torch.finfo(scores.dtype).min) + padding_bias
        probabilities = drop("attention", scores.softmax(dim=-1))
        heads = torch.matmul(probabilities, v).permute(0, 2, 1, 3).reshape(b, t, d)
        return self.c_proj(heads)


class FeedForward(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = Projection(d, 4 * d)
        self.c_proj = Projection(4 * d, d)

    def forward(self, x):
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, d, heads, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = SelfAttention(d, heads)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = FeedForward(d)

    def forward(self, h, padding_bias, drop):
        h = h + drop("residual", self.attn(self.ln_1(h), padding_bias, drop))
        return h + drop("residual", self.mlp(self.ln_2(h)))


def sinusoid_table(positions, d):
    """Even dims sin(p · 10000^(−i/d)), odd dims cos of the same angle, for the pair starting at i;
    in float32 as the reference computed it (loop computes the angles in double: the tables differ
    by about 1e-6)."""
    table = torch.zeros(positions, d)
    p = torch.arange(positions, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    table[:, 0::2] = torch.sin(p * frequency)
    table[:, 1::2] = torch.cos(p * frequency)[:, : d // 2]
    return table


class RecurrentGPT2(nn.Module):
    """Built from a loop/reference `config.json` dictionary (`from_config`) or its fields."""

    def __init__(self, vocab_size, n_embd, n_layer, n_head, n_positions, positional_embedding_type="learned",
                 input_injection=False, recurrence=1, layer_norm_epsilon=1e-5, c_scale=1.0):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                           n_positions=n_positions, positional_embedding_type=positional_embedding_type,
                           input_injection=input_injection, recurrence=recurrence,
                           layer_norm_epsilon=layer_norm_epsilon)
        if positional_embedding_type not in ("learned", "sinusoidal", "none"):
            raise ValueError(f"positional_embedding_type {positional_embedding_type!r} is not learned, sinusoidal or none")
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        if positional_embedding_type == "learned":
            self.position_embedding = nn.Embedding(n_positions, n_embd)
        elif positional_embedding_type == "sinusoidal":
            self.register_buffer("sinusoids", sinusoid_table(n_positions, n_embd), persistent=False)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, layer_norm_epsilon) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd, eps=layer_norm_epsilon)
        with torch.no_grad():
            for block in self.blocks:
                block.attn.c_proj.weight.mul_(c_scale)
                block.mlp.c_proj.weight.mul_(c_scale)

    @classmethod
    def from_config(cls, config):
        keys = ["vocab_size", "n_embd", "n_layer", "n_head", "n_positions"]
        optional = ["positional_embedding_type", "input_injection", "recurrence", "layer_norm_epsilon"]
        missing = [k for k in keys if k not in config]
        if missing:
            raise ValueError(f"config is missing {', '.join(missing)}")
        return cls(**{k: config[k] for k in keys + optional if k in config})

    def embed(self, ids, drop=no_dropout):
        t = ids.shape[1]
        h = self.token_embedding(ids)
        kind = self.config["positional_embedding_type"]
        if kind == "learned":
            h = h + self.position_embedding.weight[:t]
        elif kind == "sinusoidal":
            h = h + self.sinusoids[:t]
        return drop("embedding", h)

    def readout(self, h):
        return self.ln_f(h) @ self.token_embedding.weight.t()

    def steps(self, ids, mask, recurrence=None, dropout=None):
        """The hidden states [B, T, D] after each of `recurrence` steps (the config's by default).
        `dropout`: a DropoutMasks for a training pass; None evaluates without dropout."""
        recurrence = self.config["recurrence"] if recurrence is None else recurrence
        drop = dropout.apply if dropout is not None else no_dropout
        padding_bias = (1.0 - mask.to(torch.float32))[:, None, None, :] * -10000.0
        embedded = self.embed(ids, drop)
        h = embedded
        for t in range(recurrence):
            if self.config["input_injection"] and t > 0:
                h = h + embedded
            for block in self.blocks:
                h = block(h, padding_bias, drop)
            yield h

    def forward(self, ids, mask, recurrence=None, dropout=None):
        """Logits [B, T, V] after `recurrence` steps."""
        for h in self.steps(ids, mask, recurrence, dropout):
            pass
        return self.readout(h)


def answer_positions(lengths, padded_length, pred_pos):
    """The position each example answers at: `last_token` (T − 1) or `inp_len` (length − 1)."""
    if pred_pos == "last_token":
        return torch.full_like(lengths, padded_length - 1)
    if pred_pos == "inp_len":
        return lengths - 1
    raise ValueError(f"pred_pos {pred_pos!r} is not last_token or inp_len")


def at_positions(x, positions):
    """Rows x[b, positions[b]] of [B, T, ...]."""
    return x[torch.arange(x.shape[0]), positions]


def length_aware_halting(model, ids, mask, positions, eps_kl, h0, h1, min_iters, max_iters):
    """The entropy+KL rule with the threshold H0 + H1 / seq_len, seq_len the padded length T.

    At each step t ≥ 1 (0-based), with p_t the distribution at the example's answer position:
    the KL condition is KL(p_t ‖ p_{t−1}) < eps_kl, the entropy condition H(p_t) < H0 + H1 / T;
    an example halts at the first t with t + 1 ≥ min_iters where both hold, and answers with that
    step's logits; one that never halts answers with step max_iters. Its halt driver is the
    condition that began to hold last (each condition's first t ≥ 1 at which it held): `kl` if the
    KL condition's is later or the same, `entropy` if the entropy condition's is later; `none` for
    an example that never halted.

    Returns per example: iterations used (1-based), the answer's logits [B, V], and the drivers."""
    b = ids.shape[0]
    threshold = h0 + h1 / ids.shape[1]
    halted = [False] * b
    iterations = [max_iters] * b
    drivers = ["none"] * b
    first_kl, first_entropy = [None] * b, [None] * b
    answer = None
    previous = None
    with torch.no_grad():
        for t, h in enumerate(model.steps(ids, mask, max_iters)):
            logits = at_positions(model.readout(h), positions)
            log_p = logits.log_softmax(dim=-1)
            if answer is None:
                answer = logits.clone()
            if previous is not None:
                p = log_p.exp()
                kl = (p * (log_p - previous)).sum(dim=-1)
                entropy = -(p * log_p).sum(dim=-1)
                for e in range(b):
                    if halted[e]:
                        continue
                    kl_holds, entropy_holds = bool(kl[e] < eps_kl), bool(entropy[e] < threshold)
                    if kl_holds and first_kl[e] is None:
                        first_kl[e] = t
                    if entropy_holds and first_entropy[e] is None:
                        first_entropy[e] = t
                    if t + 1 >= min_iters and kl_holds and entropy_holds:
                        halted[e] = True
                        iterations[e] = t + 1
                        drivers[e] = "kl" if first_kl[e] >= first_entropy[e] else "entropy"
                        answer[e] = logits[e]
            for e in range(b):
                if not halted[e]:
                    answer[e] = logits[e]  # the latest step answers for an example still running
            previous = log_p
    return iterations, answer, drivers
