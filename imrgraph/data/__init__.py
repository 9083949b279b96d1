"""Packaged vocabularies, shapes and queries (mapped from ontology/, shapes/, queries/)."""
