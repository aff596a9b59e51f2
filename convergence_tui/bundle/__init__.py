"""The signed submission bundle (DESIGN.md §6): write, sign, verify, read.

Nothing here is imported at start-up: pyhanko and cryptography load only when
a bundle is written or checked.
"""
