"""The SplitMix64 finaliser's constants, shared by the numpy draws (`rng`) and the compiled kernels (`kernels`).

Source: Steele, Lea and Flood, "Fast splittable pseudorandom number generators" (2014); the finaliser of Java's
SplittableRandom. Changing any of them changes every result.
"""

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
"""2^64 / golden ratio: the counter increment."""
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
