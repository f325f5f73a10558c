"""One router per resource: health, search, ask, documents, districts, and the web page."""
