"""CLI commands for guideline-usage pictures and network statistics."""
