"""The HTTP API and the web page: ``create_app`` builds the FastAPI application over one loaded engine."""
