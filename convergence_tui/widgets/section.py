"""The one protocol of a section's view: what the main screen asks of the view of any section (a form,
a list, the grid, the validation) and of the opening view, so that it tells no kind from another.

A new kind of section is one new class implementing `SectionView`, and one line in `VIEWS`:

- `build()` makes the view for a section, at a place (the screen calls it once the campaign is read
  as far as `needs()` says: the first screen shows before the rest is read);
- `shows()` names the areas of the campaign it shows (Session.revision_of): a view left for another
  section is kept hidden and shown again as it is while nothing there changed, and rebuilt otherwise;
- `can_show()` says whether it can move to another place of its section without being rebuilt (the
  grid shows another service in the same widgets);
- `land()` puts the cursor on a place; `here()` says where the cursor is (for next/previous problem);
- `service()` names the service it shows, if any (the level panel and the sidebar follow it).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..referentiel.models import Section
    from ..ui.saving import Saver

HOME = "@accueil"  # the opening view's place: not a section of the questionnaire
STAGES = ("first", "essential", "complete")  # how far a campaign opened for the screen is read


@dataclass(frozen=True, slots=True)
class Place:
    """Where to go: a section (or HOME), and optionally an item, a service or a criterion's scope, and a
    field (a question id, or a criterion id in the grid)."""

    section: str
    scope: str = ""
    field: str = ""


@dataclass(frozen=True, slots=True)
class ViewContext:
    """What building a view may need besides the saver: the name the program remembers (the sign-off
    falls back to it when the campaign names no lead), the height of the screen (a form mounts the
    fields in view first), the service shown last (the grid opens on it when the place names none),
    whether it is built ahead of being shown."""

    author: str = ""
    height: int | None = None
    service: str | None = None
    ahead: bool = False  # built ahead, hidden: it must not take the focus as it mounts
    advance: bool = True  # the grid moves to the next criterion after a level key (setting grid_advance)


class SectionView:
    """Mixed into the widget class of each kind of view, after the widget base (`class GridView(Vertical,
    SectionView)`): what a widget defines itself (e.g. a form's `revealed`) comes first."""

    KIND: ClassVar[str]
    section_id: str = ""

    @classmethod
    def needs(cls, section: Section | None) -> str:
        """The loading stage (STAGES) the view needs before it can be built."""
        return "complete"

    @classmethod
    def build(cls, saver: Saver, section: Section | None, place: Place, context: ViewContext) -> Any:
        raise NotImplementedError

    def shows(self) -> set[str]:
        """The areas of the campaign this view shows; an empty set: redrawn each time it is shown."""
        return {"campaign", "levels", "service", "blocker", "action"}

    def can_show(self, place: Place) -> bool:
        return True

    def land(self, place: Place) -> None:
        raise NotImplementedError

    def here(self) -> tuple[str, str] | None:
        """(scope, field) under the cursor; None when the cursor is on no answer."""
        return None

    def service(self) -> str | None:
        return None

    def revealed(self) -> None:
        """Called once the view is laid out on screen (what needs the layout: scrolling to a field)."""


VIEWS: dict[str, tuple[str, str]] = {
    # kind -> (module of convergence_tui.widgets, class). Imported when first shown: the first
    # screen is the opening view, and the grid, lists and validation cost nothing until they are used.
    "home": ("home_view", "HomeView"),
    "form": ("form_view", "FormSection"),
    "list": ("items_view", "ItemsView"),
    "grid": ("grid_view", "GridView"),
    "validation": ("validation_view", "ValidationView"),
}


def view_class(kind: str) -> type[SectionView]:
    module, name = VIEWS[kind]
    cls: type[SectionView] = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return cls
