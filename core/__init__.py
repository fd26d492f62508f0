"""Plumbing every app may use: request parsing, domain errors, search, CSV safety, task
launching. It imports no Warmpath app (import-linter holds it to that: docs/architecture.md)."""
