"""aztec-econ: a workbench for the economics of Aztec block production (Fernet + Sidecar)."""
