"""The cadCAD state model: state layout (`state`), per-mechanism policies and updates (`mechanisms`), and the
ordered partial-state-update blocks (`blocks`)."""
