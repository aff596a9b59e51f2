"""Widgets of the TUI: the section views (one class per kind of section), the sidebar, the level
panel, tables and fields. They read the campaign through the use cases and save through the screen's
`Saver` (ui/saving.py); they never import a screen."""
