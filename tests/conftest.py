"""Shared test settings: chapter scripts and subprocesses run on the CPU, whatever else is installed."""
