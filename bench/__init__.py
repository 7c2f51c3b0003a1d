"""Ingestion benchmark: load generator, targets (smtp-sink, stand-ins, inbox serve), report."""
