"""Benchmarks, always side by side with PyTorch CPU when it is installed."""
