"""Execution engines: local (streaming, in-process) and Ray Data — same steps, same result."""
