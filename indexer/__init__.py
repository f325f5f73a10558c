"""Stadshus indexer: from documents to a hybrid FAISS + BM25 index. Never imports ``service``."""
