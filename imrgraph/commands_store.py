"""CLI commands for the persistent store and remote SPARQL endpoints."""
