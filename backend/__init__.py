"""Qinghu (青护): youth drug-prevention casework for a county."""
