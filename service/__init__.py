"""Stadshus service: from the index to answers, the HTTP API and the web page."""
