"""A tiny XLM-RoBERTa base built offline, shaped like multilingual-e5-small (a Unigram
sentencepiece tokenizer, `<s> A </s></s> B </s>` pairs), for tests of the cross-encoder's
real training, pruning, int8 export and serving path. Its weights are random (seeded)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def build_tiny_base(texts: Iterable[str], out: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaConfig, XLMRobertaModel

    out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tok.train_from_iterator(list(texts), trainers.UnigramTrainer(vocab_size=500, special_tokens=specials,
                                                                 unk_token="<unk>"))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.save(str(out / "tokenizer.json"))
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64, max_position_embeddings=130,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2)
    XLMRobertaModel(config).save_pretrained(str(out))
    return out
