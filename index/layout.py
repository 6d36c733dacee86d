"""The files of an index generation, named in one place.

    generations/<name>/
        manifest.json, manifest.sha256    what is there, with checksums (store.py)
        articles.jsonl, article_ids.json  the article records, and their ids alone in order
        chunk_*.npy, sentence_span.npy, article_sentence_ptr.npy   passages and sentences
        bm25_<field>/                     one BM25 field each (lexical.py's own files)
        embeddings.npy, chunk_hash.npy, sentence_embeddings.npy, sentence_hash.npy,
        vectors.faiss (HNSW, large indexes only)
        abbreviations.json, lexicon.json  the analyser's mined abbreviations, accent lexicon
        sources.json                      the article files it was built from (listing.py)
        calibration.json                  the confidence fit for its model (confidence.py)
        delta/                            an update's segment: the same per-segment files
                                          + dead_articles.npy (base articles no longer served)

Root-level files other than the per-segment ones belong to the whole generation: an update
hard-links them into the next one, so they carry over.
"""

from __future__ import annotations

MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"  # the manifest's own checksum: a damaged manifest is named as such
ARTICLES = "articles.jsonl"
ARTICLE_IDS = "article_ids.json"
ABBREVIATIONS = "abbreviations.json"
LEXICON = "lexicon.json"
SOURCES = "sources.json"
CALIBRATION = "calibration.json"
DELTA = "delta"  # the delta segment's folder
DEAD_ARTICLES = "dead_articles.npy"  # in the delta folder: base article numbers no longer served
FAISS = "vectors.faiss"
# (vectors, their content hashes): passages, then sentences
VECTORS = (("embeddings", "chunk_hash"), ("sentence_embeddings", "sentence_hash"))
RECORD_ARRAYS = ("chunk_article", "chunk_span", "chunk_sentences", "sentence_span", "article_sentence_ptr")
LEXICAL_FIELDS = ("exact", "folded", "article_exact", "article_folded")


def npy(name: str) -> str:
    return f"{name}.npy"


def bm25_dir(field: str) -> str:
    return f"bm25_{field}"
