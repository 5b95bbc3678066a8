"""Synthesis and distillation through any OpenAI-compatible endpoint."""
