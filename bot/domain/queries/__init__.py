"""Read-only, set-based queries behind the chat answers (a few SQL statements each, never one per person)."""
