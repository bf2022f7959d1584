"""Imported first by the local pool's fork server (`aztec_econ.sweep.executors.PRELOAD`): ignore Ctrl-C from then on.

A terminal sends Ctrl-C to its whole process group; the sweep's client handles it and stops the pool. The fork server
imports the model (seconds) before it protects itself from Ctrl-C, and the workers it forks inherit the disposition it
had then, so a Ctrl-C during its start-up printed the import's traceback. Importing this module first makes the server
and every worker ignore Ctrl-C from the start. Nothing else imports it.
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
