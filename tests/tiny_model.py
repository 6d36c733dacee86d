"""Build a tiny sentence-transformers model offline, for tests of the real vector path.

A 2-layer BERT with random (seeded) weights and a WordPiece tokenizer trained on
the given texts. Its embeddings mean nothing semantically, but every call goes
through the real sentence-transformers, tokenizers and torch code.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def build_tiny_model(texts: Iterable[str], out: Path) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    raw = out.parent / (out.name + "-hf")
    raw.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(list(texts), trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=128)
    fast.save_pretrained(raw)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(fast), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(raw)
    model = SentenceTransformer(str(raw), device="cpu",
                                prompts={"query": "query: ", "passage": "passage: "})
    model.save(str(out))
    return out
