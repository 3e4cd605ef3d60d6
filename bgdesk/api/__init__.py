"""The REST API: FastAPI routes over the core, served by uvicorn on loopback."""
