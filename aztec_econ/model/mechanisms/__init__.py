"""One protocol part per module: its policy `p_*`, the pure maths it uses, and what it writes to the state."""
