"""Security wiring: admin second factor, session lifetimes, login guards, deploy checks.

See README "Security". The settings themselves live in ``synapse/settings.py``.
"""
