"""The JSON the service speaks (API and `--json` alike), separate from the internal types: one module per
resource, each with its models and the functions that build them from the internal types."""
