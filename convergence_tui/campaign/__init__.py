"""The in-memory campaign: its answers and items, the answers document both ways, what blocks an
export, the plan over time. Pure: no SQL, no Textual, no I/O."""
