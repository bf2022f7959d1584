"""aztec-econ: a workbench for the economics of Aztec block production (Fernet + Sidecar).

The entry points most users need are re-exported here::

    from aztec_econ import load_params, simulate
    traj = simulate(load_params(overrides={"sim.runs": 5}))
    traj.frame, traj.kpis(), traj.summary()
"""

from importlib.metadata import PackageNotFoundError, version

from aztec_econ.params import Params, ParamsError, load_params
from aztec_econ.simulation import Trajectories, simulate

try:
    __version__ = version("aztec-econ")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Params", "ParamsError", "Trajectories", "__version__", "load_params", "simulate"]
