"""The questionnaire: sections on the left, the current section in the middle, live levels.

Only the current section is mounted (screens/views.py keeps the ones left, hidden): a 500-service
campaign opens as fast as a small one. Every change goes through the screen's saver
(ui/saving.py), which keeps what the file refuses and retries it; this screen reacts to what it
reports, and refreshes the panels from what moved in the campaign (Session.revision_of), never from
a list of hand-picked cases.
"""

from __future__ import annotations

import gc

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from ..campaign.data import CAMPAIGN
from ..ui.commands import bindings
from ..ui.messages import AnswerSaved, CampaignChanged, CampaignLoaded, Navigate, SavedAfterRetry, SaveFailedMessage
from ..ui.saving import Saver
from ..usecases import explain
from ..usecases.overview import location_key, next_problem, search_targets
from ..usecases.undo import describe
from ..usecases.writes import AddItem, SetAnswer
from ..widgets.fields import Field
from ..widgets.keybar import KeyBar
from ..widgets.level_panel import LevelPanel
from ..widgets.section import HOME, Place, SectionView, ViewContext
from ..widgets.sidebar import Sidebar
from ..widgets.topbar import TopBar
from .views import ViewHost, Waiting


def settle_memory() -> None:
    """Keep the garbage collector out of the way of keys.

    Everything alive after the first paint (the campaign, Textual's widgets and
    styles) stays alive for the session: freezing it spares each full
    collection a walk over a million objects (150–200 ms pauses, measured),
    and rarer young collections cost nothing noticeable in memory.
    """
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


class MainScreen(Screen):
    BINDINGS = bindings("app")
    AUTO_FOCUS = None  # each view focuses its own first field once mounted
    # Textual repaints the whole screen on every focus change (its `focused` reactive repaints);
    # the widgets gaining and losing the focus restyle and repaint themselves anyway, so a switch of
    # section or field redraws only what changed (a full redraw costs ~20 ms at 160×50 here).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, session, *, open_review: bool = False) -> None:
        super().__init__()
        self.session = session
        self._open_review = open_review  # `convergence --review`: the review, once the campaign is read
        self.saver = Saver(self, session)  # the one write path of every view of this screen
        self.section_id = HOME
        self.service_id: str | None = None  # the service shown last (level panel, sidebar, grid)
        self.views: ViewHost | None = None
        self._damage_said = False
        self._back: tuple[str, str, str] | None = None  # where échap returns (Navigate.back)

    # --- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.saver, id="topbar")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Sidebar(self.session, id="sidebar")
                yield LevelPanel(self.session, id="levels")
            yield Container(id="content")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.views = ViewHost(self.query_one("#content", Container), self.saver, self._view_context,
                              self._first_paint_done)
        if self.session.complete:
            self._start_background()
        if self.session.locked_elsewhere:
            self.notify("Ce fichier est déjà ouvert en écriture par un autre programme convergence : il est ouvert "
                        "ici en LECTURE SEULE. Fermez l'autre fenêtre puis rouvrez-le pour le modifier.",
                        severity="warning", timeout=15)
        services = self.session.data.live_ids("service")
        self.service_id = services[0] if services else None
        self.show_home()
        if self._open_review and self.session.complete:
            self._open_review = False
            self.call_after_refresh(self.action_review)

    def _view_context(self) -> ViewContext:
        remembered = getattr(self.app, "remembered", None)
        settings = getattr(self.app, "settings", None)
        return ViewContext(author=(remembered.author if remembered else "") or "", height=self.app.size.height,
                           service=self.service_id, advance=settings.grid_advance if settings else True)

    def _first_paint_done(self) -> None:
        settle_memory()
        self.app.first_screen_ready()
        # The scores and the long lists (blockers, indicators, finances, comments…) are read after
        # the first paint, by the session's loader (usecases/loading.py); it posts CampaignLoaded.
        self.session.load_in_background(lambda stage: self.post_message(CampaignLoaded(stage)))
        self.call_after_refresh(self.views.build_ahead)

    @on(CampaignLoaded)
    def _loaded(self, event: CampaignLoaded) -> None:
        event.stop()
        if event.stage == "essential":
            self.session.ensure_essential()
        else:
            self.session.ensure_complete()
        if self.session.damage and not self._damage_said:
            self._damage_said = True
            self.query_one(TopBar).refresh_state()
            self.notify(self.session.damage, severity="error", timeout=30)
            # Views built before the check (the forms built ahead) would still take keys: redraw
            # them read-only.
            self.views.forget_kept()
            if self.section_id != HOME:
                self.show_section(self.section_id, rebuild=True)
        sidebar = self.query_one(Sidebar)
        if event.stage == "essential":
            if self.service_id is None:  # the services were not read yet when the screen opened
                self.service_id = next(iter(self.session.data.live_ids("service")), None)
            sidebar.rebuild()
            self.query_one(LevelPanel).refresh_figures()
            self._start_background()
        else:
            sidebar.refresh_sections()
            self.saver.flush()  # what was typed before the campaign was read goes to the file now
            self.call_after_refresh(self.views.build_ahead)
        if event.stage == "complete" and self._open_review:
            self._open_review = False
            self.action_review()
        current = self.views.current
        if isinstance(current, Waiting):  # asked for before its part was read: shown now if it is
            self.show_section(current.place.section, current.place.scope, current.place.field)
        elif self.section_id == HOME and isinstance(current, SectionView):
            current.land(Place(HOME))  # its figures, now that they can be counted

    def _start_background(self) -> None:
        # Only once the file is known sound: no backup of a damaged file, no write path to warm up.
        if not self.session.readonly:
            self.run_worker(self.session.preload, thread=True, group="preload")
            self.run_worker(self._backup, thread=True, group="backup")

    def _backup(self) -> None:
        # In a worker thread, with its own SQLite connection: the first screen does not wait for it.
        try:
            self.session.backup()
        except Exception as exc:  # noqa: BLE001 - a failed backup must not stop the work; say it
            self.app.call_from_thread(self.notify, f"Sauvegarde de la campagne impossible : {exc}",
                                      severity="warning", timeout=10)

    # --- sections ----------------------------------------------------------

    def current_view(self):
        return self.views.current if self.views is not None else None

    def show_home(self) -> None:
        """The opening view: where to resume (Entrée), completion, sign-off. Shown at start-up and
        with `h`; it is one widget of text, refreshed each time it is shown."""
        self.show_section(HOME)

    def action_show_home(self) -> None:
        self.show_home()

    def show_section(self, section_id: str, scope: str = "", field: str = "", rebuild: bool = False) -> None:
        self.saver.flush()
        self._back = None  # any move forgets where échap would have returned
        self.section_id = section_id
        view = self.views.show(Place(section_id, scope, field), rebuild=rebuild)
        shown = view.service() if isinstance(view, SectionView) else None
        if shown is not None:
            self.service_id = shown
        sidebar = self.query_one(Sidebar)
        if section_id == HOME:
            sidebar.highlighted = None
        else:
            sidebar.highlight(f"service:{shown}" if shown else f"section:{section_id}")
        self.query_one(LevelPanel).show_service(self.service_id if section_id != HOME else None)

    def action_next_section(self) -> None:
        self._step_section(1)

    def action_previous_section(self) -> None:
        self._step_section(-1)

    def _step_section(self, step: int) -> None:
        ids = [s.id for s in self.session.ref.sections]
        if self.section_id == HOME:  # from the opening view: the first section, or the last
            self.show_section(ids[0] if step > 0 else ids[-1])
            return
        self.show_section(ids[(ids.index(self.section_id) + step) % len(ids)])

    def action_goto_section(self, n: int) -> None:
        sections = self.session.ref.sections
        if 1 <= n <= len(sections):
            self.show_section(sections[n - 1].id)

    def action_back(self) -> None:
        view = self.current_view()
        back, self._back = self._back, None
        if getattr(view, "editing", None):  # a list with an item's form open: back to the list
            self.saver.flush()
            view.close_editor()
            if back is not None:  # opened from the grid: back to the gap it was made for
                self.show_section(*back)
        else:
            self.query_one(Sidebar).focus()

    @on(Navigate)
    def _navigate(self, event: Navigate) -> None:
        event.stop()
        self.show_section(event.section, event.scope, event.field)
        self._back = event.back

    # --- saving ------------------------------------------------------------

    @on(Field.Edited)
    def _edited(self, event: Field.Edited) -> None:
        event.stop()
        # Typing is saved 300 ms after the last key; Enter, leaving the field or a choice at once.
        self.saver.save(SetAnswer(event.field.scope, event.field.question.id, event.raw),
                        debounce=not event.immediate)

    @on(AnswerSaved)
    def _answer_saved(self, event: AnswerSaved) -> None:
        event.stop()
        result = event.result
        if result.field == "category" and (left := explain.left_by_category(self.session, result.scope)):
            self.notify(left, title="Catégorie changée", severity="warning", timeout=12)

    @on(CampaignChanged)
    def _campaign_changed(self, event: CampaignChanged) -> None:
        event.stop()
        self.query_one(LevelPanel).refresh_figures()
        self.query_one(Sidebar).refresh_from_campaign(event.services)

    @on(SaveFailedMessage)
    def _save_failed(self, event: SaveFailedMessage) -> None:
        event.stop()
        from .modals import UnsavedQuit

        if isinstance(self.app.screen, UnsavedQuit):
            return  # it says why itself; a toast would hide its buttons at 80×24
        self.notify(f"{event.error} Gardé à l'écran ; nouvel essai automatique toutes les 2 s.",
                    title="NON ENREGISTRÉ", severity="error", timeout=10)

    @on(SavedAfterRetry)
    def _saved_after_retry(self, event: SavedAfterRetry) -> None:
        event.stop()
        from .modals import UnsavedQuit

        if isinstance(self.app.screen, UnsavedQuit):
            # The person asked to quit; what held them back is now in the file: quit as asked.
            self.app.screen.dismiss("retry")
            return
        self.notify("Tout ce qui attendait est maintenant enregistré dans le fichier.", title="Enregistré",
                    timeout=6)

    # --- problems, search, undo, help -----------------------------------------

    def _ready(self, what: str) -> bool:
        """Whether the whole campaign is read; otherwise say so (a moment after opening a large one)."""
        if self.session.complete:
            return True
        self.notify(f"Lecture de la campagne en cours : {what} dans un instant.", timeout=4)
        return False

    def _here(self) -> tuple | None:
        view = self.current_view()
        if self.section_id == HOME or not isinstance(view, SectionView):
            return None  # from the opening view, the first problem of the campaign
        scope, field = view.here() or (CAMPAIGN, "")
        return location_key(self.session, self.section_id, scope, field)

    def _go_problem(self, backwards: bool) -> None:
        if not self._ready("la réponse à compléter"):
            return
        self.saver.flush()
        problems = self.session.problems()
        target = next_problem(self.session, problems, self._here(), backwards)
        if target is None:
            self.notify("Rien ne manque : tout est rempli et valide.", title="Campagne complète")
            return
        self.show_section(target.section, target.scope if target.scope != CAMPAIGN else "", target.field)
        self.notify(target.message, title=f"À compléter ({len(problems)})", timeout=6)

    def action_next_problem(self) -> None:
        self._go_problem(False)

    def action_previous_problem(self) -> None:
        self._go_problem(True)

    def action_search(self) -> None:
        from .modals import SearchScreen

        targets = search_targets(self.session)

        def done(index: int | None) -> None:
            if index is not None:
                _, section, scope, field = targets[index]
                if self.session.ref.sections_by_id[section].kind == "grid":
                    scope = self._service_with(field)
                    if scope is None:
                        self.notify(f"{field} ne s'applique à aucun service de l'inventaire.")
                        return
                self.show_section(section, scope, field)

        self.app.push_screen(SearchScreen(targets), done)

    def _service_with(self, criterion_id: str) -> str | None:
        """The current service when the criterion applies to it, else the first one it applies to."""
        services = self.session.data.live_ids("service")
        if self.service_id in services:
            services.remove(self.service_id)
            services.insert(0, self.service_id)
        return next((sid for sid in services
                     if any(c.id == criterion_id for c in self.session.candidates(sid))), None)

    def _file_holds_the_screen(self, what: str) -> bool:
        """Whether the campaign is read and the file holds what is on screen. Undo reverts what the file
        holds, and a bundle is made from it: with changes still waiting, either would miss them."""
        if not self._ready(what):
            return False
        if self.saver.flush():
            return True
        self.notify(f"Des modifications attendent encore d'être enregistrées : {what} attend qu'elles le soient "
                    "(nouvel essai automatique).", severity="warning")
        return False

    def action_undo(self) -> None:
        if not self._file_holds_the_screen("l'annulation"):
            return
        try:
            rows = self.session.undo()
        except Exception as exc:  # noqa: BLE001 - UserError in read-only mode
            self.notify(str(exc), severity="warning")
            return
        if not rows:
            self.notify("Rien à annuler.")
            return
        self.post_message(CampaignChanged(("*",)))
        row = rows[-1]
        self.show_section(self.section_id, row.scope if row.scope != CAMPAIGN else "", row.field, rebuild=True)
        self.notify(f"Annulé : {describe(self.session, row)}", title="Annulation")

    def action_review(self) -> None:
        if not self._ready("la revue"):
            return
        self.saver.flush()
        from .review import ReviewScreen

        def done(target) -> None:
            from .review_plan import Covering

            if isinstance(target, Navigate):
                self.show_section(target.section, target.scope, target.field)
            elif isinstance(target, Covering):  # one blocker or action over the gaps ticked in the review
                from ..usecases.covers import new_item_values

                item_id = self.saver.save(AddItem(target.kind, new_item_values(self.session, target.kind,
                                                                               target.pairs)))
                section = self.session.ref.list_section(target.kind)
                if item_id and section is not None:
                    self.show_section(section.id, item_id, "")

        self.app.push_screen(ReviewScreen(self.session, readonly=self.session.readonly), done)

    def action_export(self) -> None:
        if not self._file_holds_the_screen("l'export"):
            return
        from .export import ExportScreen

        self.app.push_screen(ExportScreen(self.session, self.app.settings, self.app.remembered))

    def action_merge(self, ask_file: bool = False) -> None:
        if not self._file_holds_the_screen("la fusion"):
            return
        from .merge import MergeScreen

        def done(changed: bool | None) -> None:
            if changed:  # answers changed underneath the views: redraw what is shown, refresh the panels
                self.post_message(CampaignChanged(("*",)))
                self.show_section(self.section_id, rebuild=True)
            else:
                self.query_one(Sidebar).refresh_from_campaign(())

        self.app.push_screen(MergeScreen(self.session, ask_file=ask_file), done)

    def action_merge_copy(self) -> None:
        self.action_merge(ask_file=True)

    def action_set_baseline(self) -> None:
        from .baseline import ask_baseline

        ask_baseline(self)

    async def action_quit(self) -> None:
        """From the palette (its commands run on this screen): the app's quit, which asks first if
        something is not saved."""
        await self.app.action_quit()

    def action_help(self) -> None:
        from .modals import HelpScreen

        self.app.push_screen(HelpScreen())
