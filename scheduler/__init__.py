"""Scheduling: the worker's jobs, run under a lock so one runs at a time across processes."""
