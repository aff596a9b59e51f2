"""convergence-tui: the Convergence self-assessment, offline and keyboard-driven."""

__version__ = "0.2.0"
