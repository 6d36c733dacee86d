"""Fine-tune the first layers of multilingual-e5-small as a cross-encoder.

Loss: for each group (one answer sentence, its negatives) a softmax over the group's
scores, the answer as the target — the model learns to rank the sentences a question
could be quoted from, which is how the engine uses it.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .pairs import Group

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Settings:
    layers: int = 12  # all of e5-small's: 4 learnt too little to help (docs/answers.md, "Cross-encoder")
    max_length: int = 96  # tokens of question + candidate: the quote, then what fits of the title
    epochs: float = 1.0
    groups_per_step: int = 4
    lr: float = 6e-5
    head_lr: float = 1e-3
    warmup: float = 0.1  # share of steps with a rising learning rate
    seed: int = 13


def build_model(base: Path, kept: list[int], layers: int):  # type: ignore[no-untyped-def]
    """e5-small cut to `layers` layers and the kept vocabulary, with a linear head on the mean."""
    import torch
    from transformers import AutoModel

    enc = AutoModel.from_pretrained(str(base))
    enc.encoder.layer = enc.encoder.layer[:layers]
    enc.config.num_hidden_layers = layers
    old = enc.embeddings.word_embeddings.weight.data
    emb = torch.nn.Embedding(len(kept), old.shape[1], padding_idx=1)
    emb.weight.data = old[torch.tensor(kept)].clone()
    enc.embeddings.word_embeddings = emb
    enc.config.vocab_size = len(kept)

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = enc
            self.head = torch.nn.Linear(old.shape[1], 1)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    return CrossEncoder()


def encode(tokenizer, question_texts: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    import torch

    enc = tokenizer.encode_batch(question_texts)
    ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
    mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
    return ids, mask


def train(model, tokenizer, groups: list[Group], s: Settings, log_every: int = 25):  # type: ignore[no-untyped-def]
    """Fine-tune in place; returns the model in eval mode."""
    import torch

    torch.manual_seed(s.seed)
    rng = random.Random(s.seed)
    steps = max(1, int(len(groups) * s.epochs) // s.groups_per_step)
    head = list(model.head.parameters())
    body = [p for n, p in model.named_parameters() if not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": body, "lr": s.lr}, {"params": head, "lr": s.head_lr}], weight_decay=0.01)
    warm = max(1, int(steps * s.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min((i + 1) / warm, max(0.0, (steps - i) / max(1, steps - warm))))
    order: list[int] = []
    model.train()
    started, losses = time.monotonic(), []
    for step in range(steps):
        if len(order) < s.groups_per_step:
            fresh = list(range(len(groups)))
            rng.shuffle(fresh)
            order += fresh
        batch = [groups[order.pop()] for _ in range(s.groups_per_step)]
        pairs = [(g.question, t) for g in batch for t in g.texts]
        ids, mask = encode(tokenizer, pairs)
        logits = model(ids, mask)
        loss, pos = logits.new_zeros(()), 0
        for g in batch:
            part = logits[pos:pos + len(g.texts)]
            loss = loss + torch.logsumexp(part, 0) - part[0]
            pos += len(g.texts)
        loss = loss / len(batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        losses.append(float(loss.detach()))
        if (step + 1) % log_every == 0 or step + 1 == steps:
            rate = (step + 1) / (time.monotonic() - started)
            log.info("step %d/%d loss %.3f (%.2f steps/s)", step + 1, steps, float(np.mean(losses[-log_every:])), rate)
    model.eval()
    return model
