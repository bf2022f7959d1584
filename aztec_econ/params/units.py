"""Unit aliases used in type hints across the package.

They document what a number means (`L1Blocks` is a count of 12-second Ethereum blocks, `Tokens` an amount of the
native token) without costing anything at run time. Arrays carry the unit in their variable's docstring.
"""

from typing import Annotated

L1Blocks = Annotated[int, "L1 blocks (12 s each on Ethereum mainnet)"]
Slots = Annotated[int, "L2 slots (one cadCAD timestep each)"]
Days = Annotated[float, "days"]
Seconds = Annotated[float, "seconds"]
Tokens = Annotated[float, "native tokens"]
Probability = Annotated[float, "probability in [0, 1]"]
Share = Annotated[float, "share of a whole in [0, 1]"]
PerDay = Annotated[float, "events per day"]
Count = Annotated[int, "count"]
