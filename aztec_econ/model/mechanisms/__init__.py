"""One protocol part per module: its state transition `step_*(ctx, state)`, the pure maths it uses, and what it
writes to the state. No module calls another module's step; `model.blocks` lists them in order."""
