"""aztec-econ: a workbench for the economics of Aztec block production (Fernet + Sidecar).

The entry points most users need are re-exported here::

    from aztec_econ import load_params, simulate
    from aztec_econ.analysis.kpis import kpis_per_run, summary
    traj = simulate(load_params(overrides={"sim.runs": 5}))
    traj.frame, kpis_per_run(traj), summary(traj)
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

_EXPORTS = {
    "Params": "aztec_econ.params",
    "ParamsError": "aztec_econ.params",
    "load_params": "aztec_econ.params",
    "Trajectories": "aztec_econ.simulation",
    "simulate": "aztec_econ.simulation",
}


def __getattr__(name: str) -> Any:
    """Lazy re-exports: importing a submodule (say `aztec_econ.publish.notebook`, which silences tqdm's notebook warning
    before cadCAD imports tqdm) does not pull in cadCAD."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'aztec_econ' has no attribute {name!r}")


try:
    __version__ = version("aztec-econ")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Params", "ParamsError", "Trajectories", "__version__", "load_params", "simulate"]
