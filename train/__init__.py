"""Training of the answer-sentence cross-encoder (`make train-reranker`).

Needs torch and transformers (the serving side, `index/rerank.py`, needs neither):
`pairs.py` makes the training groups and the k-fold split, `vocab.py` prunes the
tokenizer to the pieces Vietnamese text uses, `fit.py` fine-tunes, `export.py` writes
the int8 ONNX model, `__main__.py` runs it all.
"""
