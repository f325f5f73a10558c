"""Benchmarks: query latency, load, indexing and scale. Scripts that print tables and write JSON to
``eval/bench/results/``; never timed tests. ``python -m eval.bench [--quick]`` runs them all."""
