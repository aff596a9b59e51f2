"""Use cases the screens call (DESIGN.md §2): small modules with one job each, Textual-free.

`writes` is the one write path of the TUI: every change a person makes is a `Write`, kept until it
is in the campaign file."""
