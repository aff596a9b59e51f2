"""The questionnaire: sections on the left, the current section in the middle, live levels.

Only the current section is mounted: a 500-service campaign opens as fast as
a small one. Every change goes through the screen's saver (widgets/saving.py), which keeps what the
file refuses and retries it; this screen only reacts to what it reports.
"""

from __future__ import annotations

import gc

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from ..campaign.data import CAMPAIGN, split_criterion_scope
from ..paths import short_path
from ..referentiel.values import REGIONS
from ..ui.commands import bindings
from ..ui.messages import AnswerSaved, CampaignLoaded, Navigate, SavedAfterRetry, SaveFailedMessage, ScoresChanged
from ..ui.saving import Saver
from ..usecases.overview import location_key, next_problem, search_targets
from ..usecases.undo import describe
from ..usecases.writes import SetAnswer
from ..widgets.fields import Field
from ..widgets.form_view import FormView
from ..widgets.home_view import HomeView
from ..widgets.keybar import KeyBar
from ..widgets.level_panel import LevelPanel
from ..widgets.sidebar import Sidebar

HOME = "@accueil"  # the opening view's place: not a section of the questionnaire


def _kind(view) -> str | None:
    """"home", "form", "list", "grid" or "validation": the list, grid and validation views are
    imported when first shown (the first screen is the opening view), so the screen tells views
    apart by this."""
    return getattr(view, "KIND", None)


def _shows(view) -> set[str]:
    """The areas of the campaign a section view shows (see Session.revision_of): services' names
    appear in every list and form (references, choices), scores in the grid."""
    kind = _kind(view)
    if kind == "form":  # its questions and those their visibility depends on; services only if offered
        questions = view.questions
        return ({f"campaign:{q.id}" for q in questions}
                | {f"campaign:{q.visible_if.question}" for q in questions if q.visible_if is not None}
                | ({"service"} if _offers_services(questions) else set()))
    if kind == "list":
        return {view.section.item, "service"}
    if kind == "home":
        return set()  # cheap to refresh: it is refreshed each time it is shown
    return {"campaign", "levels", "service", "action"}


def _offers_services(questions) -> bool:
    """A form with a question choosing a service (or a criterion): it needs the services read."""
    return any(q.type in ("service", "criterion") for q in questions)


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

    def __init__(self, session) -> None:
        super().__init__()
        self.session = session
        self.saver = Saver(self, session)  # the one write path of every view of this screen
        self.section_id = HOME
        self.service_id: str | None = None
        self._view = None
        self._kept: dict[str, tuple] = {}  # section id -> (hidden view, revision of what it shows)
        self._first_painted = False
        self._topbar: tuple[str, str] | None = None  # what the top bar shows (see _refresh_topbar)
        self._damage_said = False

    # --- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="topbar")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Sidebar(self.session, id="sidebar")
                yield LevelPanel(self.session, id="levels")
            yield Container(id="content")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        if self.session.complete:
            self._start_background()
        if self.session.locked_elsewhere:
            self.notify("Ce fichier est déjà ouvert en écriture par un autre programme convergence : il est ouvert "
                        "ici en LECTURE SEULE. Fermez l'autre fenêtre puis rouvrez-le pour le modifier.",
                        severity="warning", timeout=15)
        self.saver.watch(self, lambda report: self._refresh_topbar())
        services = self.session.data.live_ids("service")
        self.service_id = services[0] if services else None
        self.show_home()
        self._refresh_topbar()

    def _first_paint_done(self) -> None:
        settle_memory()
        self.app.first_screen_ready()
        # The scores and the long lists (blockers, indicators, finances, comments…) are read after
        # the first paint, by a thread of the session's own; it posts CampaignLoaded as they arrive.
        self.session.load_in_background(lambda stage: self.post_message(CampaignLoaded(stage)))
        self.call_after_refresh(self._build_ahead)

    @on(CampaignLoaded)
    def _loaded(self, event: CampaignLoaded) -> None:
        event.stop()
        if event.stage == "essential":
            self.session.ensure_essential()
        else:
            self.session.ensure_complete()
        if self.session.damage and not self._damage_said:
            self._damage_said = True
            self._refresh_topbar()
            self.notify(self.session.damage, severity="error", timeout=30)
            # Views built before the check (the forms built ahead) would still take keys: redraw
            # them read-only.
            self._forget_kept()
            if _kind(self._view) != "home":
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
            if _kind(self._view) == "home":
                self._view.refresh_figures()
            self.call_after_refresh(self._build_ahead)

    def _build_ahead(self) -> None:
        """Build the form sections not shown yet, hidden: a form costs ~100 ms to build, showing a
        built one ~30-60 ms. Lists and the grid are built when first shown (within target). Called
        once the opening view is painted (the forms need only the campaign's own answers, already
        read) and again once the campaign is read (the forms that offer services)."""
        if not self.is_attached or not self.content.is_attached:
            return  # the program is quitting (e.g. ctrl+q pressed as it opened)
        for section in self.session.ref.sections:
            if section.kind != "form" or section.id in self._kept or (
                    self._view is not None and getattr(self._view, "section_key", None) == section.id):
                continue
            if not self.session.scored and _offers_services(section.questions):
                continue  # it offers the services: built once they are read
            view = self._form(section)
            self._keep(view)
            self.content.mount(view)

    def _form(self, section, field: str | None = None, defer_below: int | None = None) -> FormView:
        if _offers_services(section.questions):
            self.session.ensure_essential()  # it offers the services, read in the background
        view = FormView(self.saver, section.questions, CAMPAIGN, title=section.title, intro=section.help,
                        focus_field=field, defer_below=defer_below)
        view.section_key = section.id
        return view

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

    def _refresh_topbar(self) -> None:
        info = self.session.data.campaign_info()
        region = REGIONS.get(info["region"] or "", "région ?")
        mode = (" · LECTURE SEULE (ouvert ailleurs)" if self.session.locked_elsewhere
                else " · lecture seule" if self.session.readonly else "")
        waiting = len(self.saver.pending)
        state = (f"[$error]⚠ NON ENREGISTRÉ ({waiting}) — nouvel essai automatique[/]" if self.saver.failing
                 else "[$warning]● saisie en cours[/]" if waiting else "[$success]● enregistré[/]")
        head = f"Convergence · {region} {info['label'] or ''} · {short_path(self.session.path)}{mode}"
        if (state, head) == self._topbar:
            return  # redrawing the same bar on every save costs a layout pass
        self._topbar = (state, head)
        from textual.content import Content

        # The save state comes first: a long path must never push it out of sight.
        self.query_one("#topbar", Static).update(Content.assemble(Content.from_markup(state), "  ", Content(head)))

    # --- sections ----------------------------------------------------------

    @property
    def content(self) -> Container:
        return self.query_one("#content", Container)

    def current_view(self):
        # Held rather than queried: a replaced view lingers in the DOM until its removal completes.
        return self._view

    def show_home(self) -> None:
        """The opening view: where to resume (Entrée), completion, sign-off. Shown at start-up and
        with `h`; it is one widget of text, refreshed each time it is shown."""
        self.saver.flush()
        self.section_id = HOME
        current = self.current_view()
        view = current if _kind(current) == "home" else (self._take_kept(HOME) or HomeView(self.session))
        view.section_key = HOME
        self._present(view, current, keep=True)
        self.query_one(Sidebar).highlighted = None
        self.query_one(LevelPanel).show_service(None)

    def action_show_home(self) -> None:
        self.show_home()

    def show_section(self, section_id: str, scope: str = "", field: str = "", rebuild: bool = False) -> None:
        if section_id == HOME:
            self.show_home()
            return
        self.saver.flush()
        ref = self.session.ref
        section = ref.sections_by_id[section_id]
        if section.kind != "form":
            self.session.ensure_essential()  # items and scores, if the background read is not done
        self.section_id = section_id
        current = self.current_view()
        # The view on screen, or one this section showed before that nothing has changed since.
        view = current if current is not None and getattr(current, "section_key", None) == section_id \
            and not rebuild else self._take_kept(section_id)
        crit = split_criterion_scope(scope) if scope else None
        if section.kind == "grid":
            sid = crit[0] if crit else (scope or self.service_id)
            if sid is not None and sid not in self.session.data.live_ids("service"):
                sid = None
            sid = sid or next(iter(self.session.data.live_ids("service")), None)
            self.service_id = sid
            if _kind(view) == "grid" and sid:
                if view.service_id != sid:  # same widgets, other rows: no remount, no reflow
                    view.show_service(sid)
                new = view
            else:
                start = crit[1] if crit else (field if field in ref.criteria_by_id else "")
                from ..widgets.grid_view import GridView

                new = GridView(self.saver, sid, start) if sid else Static(
                    "Aucun service : ajoutez-en dans l'inventaire des services.", classes="view-intro")
        elif _kind(view) in ("list", "form"):
            new = view
        elif section.kind == "list":
            from ..widgets.items_view import ItemsView

            new = ItemsView(self.saver, section, open_on=(scope, field) if scope in self.session.data.items
                            else None)
        elif section.kind == "form":
            new = self._form(section, field, defer_below=self.app.size.height)
        elif _kind(view) == "validation":
            new = view
            view.refresh_state()
        else:
            from ..widgets.validation_view import ValidationView

            new = ValidationView(self.saver, section, (getattr(self.app, "settings", None) and
                                 self.app.settings.author) or "")
        new.section_key = section_id
        self._present(new, current, keep=not rebuild, scope=scope, field=field, crit=crit)
        sidebar = self.query_one(Sidebar)
        sidebar.highlight(f"service:{self.service_id}" if section.kind == "grid" and self.service_id
                          else f"section:{section_id}")
        self.query_one(LevelPanel).show_service(self.service_id)

    def _present(self, new, current, keep: bool, scope: str = "", field: str = "", crit=None) -> None:
        """Put `new` on screen in place of `current` (kept hidden or removed, per `keep`)."""
        if new is current:
            self._land(new, scope, field, crit)
            return
        self._view = new
        if new.parent is None:  # a new view lands by itself once mounted (it was told where)
            self._swap_in(new, current, keep)
        else:  # a kept one is shown again and moved now
            if current is not None:
                self._put_away(current, keep)
            new.display = True
            self._land(new, scope, field, crit)

    def _swap_in(self, new, old, keep: bool) -> None:
        """Mount a new view; no frame is drawn until it is mounted with its fields and its focus
        (otherwise one frame shows an empty section, and drawing it costs as much as the real one)."""
        batch = self.app.batch_update()
        batch.__enter__()
        if old is not None:
            self._put_away(old, keep)
        mounting = self.content.mount(new)

        async def reveal() -> None:
            try:
                await mounting
            finally:
                batch.__exit__(None, None, None)
            revealed = getattr(new, "revealed", None)
            if revealed is not None:  # what needs the layout (scrolling to a field) comes now
                new.call_after_refresh(revealed)
            if not self._first_painted:  # the first view, with its fields and focus, is on screen
                self._first_painted = True
                self.call_after_refresh(self._first_paint_done)

        self.run_worker(reveal(), group="reveal")

    # Views of sections left are kept, hidden, and shown again as they are if nothing they show
    # changed since (Session.revision_of): going back to a section costs no widget mounting.
    def _put_away(self, view, keep: bool) -> None:
        if keep and _kind(view) in ("home", "form", "list", "grid"):
            focused = self.app.focused
            if focused is not None and view in focused.ancestors_with_self:
                # Hiding the focused widget would send the focus to the sidebar after the new view took it.
                self.set_focus(None)
            self._keep(view)
        else:
            view.remove()

    def _keep(self, view) -> None:
        view.display = False
        self._kept[view.section_key] = (view, self.session.revision_of(_shows(view)))

    def _take_kept(self, section_id: str):
        view, revision = self._kept.pop(section_id, (None, None))
        if view is not None and revision != self.session.revision_of(_shows(view)):
            view.remove()
            return None
        return view

    def _forget_kept(self) -> None:
        for view, _ in self._kept.values():
            view.remove()
        self._kept.clear()

    def _land(self, view, scope: str, field: str, crit) -> None:
        """Put the cursor where the navigation asked, or on the first field."""
        if _kind(view) == "home":
            view.refresh_figures()
            view.focus(scroll_visible=False)
        elif _kind(view) == "grid":
            view.focus_criterion(crit[1] if crit else (field if field in view.session.ref.criteria_by_id else ""))
        elif _kind(view) == "list":
            if scope and scope in view.session.data.items:
                view.open_item(scope, field)
            else:
                view.close_editor()
                view.table.focus()
        elif _kind(view) == "form":
            view.focus_on(field)

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
        if _kind(view) == "list" and view.editing:
            self.saver.flush()
            view.close_editor()
        else:
            self.query_one(Sidebar).focus()

    @on(Navigate)
    def _navigate(self, event: Navigate) -> None:
        event.stop()
        self.show_section(event.section, event.scope, event.field)

    # --- saving ------------------------------------------------------------

    @on(Field.Edited)
    def _edited(self, event: Field.Edited) -> None:
        event.stop()
        # Typing is saved 300 ms after the last key; Enter, leaving the field or a choice at once.
        self.saver.save(SetAnswer(event.field.scope, event.field.question.id, event.raw),
                        debounce=not event.immediate)

    def _after_save(self) -> None:
        view = self.current_view()
        if _kind(view) == "form":
            view.refresh_visibility()
        elif _kind(view) == "list" and view.editor is not None:
            view.editor.refresh_visibility()

    @on(AnswerSaved)
    def _saved(self, event: AnswerSaved) -> None:
        event.stop()
        self._after_save()
        scope = event.result.scope
        if scope == CAMPAIGN:
            self._refresh_topbar()
        # Only the section holding the answer changes its progress: recounting 6,000 items on
        # every key would cost more than the save itself.
        self.query_one(Sidebar).refresh_sections(self._sections_of(scope))

    def _sections_of(self, scope: str) -> set[str]:
        sections = self.session.ref.sections
        if scope == CAMPAIGN:
            return {s.id for s in sections if s.kind == "form"}
        if split_criterion_scope(scope):
            return {s.id for s in sections if s.kind == "grid"}
        item = self.session.data.items.get(scope)
        return {s.id for s in sections if s.kind == "list" and item is not None and s.item == item.kind}

    @on(ScoresChanged)
    def _scores_changed(self, event: ScoresChanged) -> None:
        event.stop()
        self.query_one(LevelPanel).refresh_figures()
        sidebar = self.query_one(Sidebar)
        if "*" in event.services:
            sidebar.rebuild()
        else:
            sidebar.refresh_services(event.services)
            sidebar.refresh_sections({s.id for s in self.session.ref.sections if s.kind == "grid"})

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

    def _here(self) -> tuple | None:
        view = self.current_view()
        if _kind(view) == "home":
            return None  # from the opening view, the first problem of the campaign
        focused = self.app.focused
        field = next((w for w in (focused, *(focused.ancestors if focused else ())) if isinstance(w, Field)), None)
        if _kind(view) == "grid":
            row = view.current()
            if row is not None:
                return location_key(self.session, self.section_id, f"{view.service_id}/{row.criterion.id}", "level")
        if field is not None:
            return location_key(self.session, self.section_id, field.scope, field.question.id)
        if _kind(view) == "list" and view.current_id():
            return location_key(self.session, self.section_id, view.current_id(), "")
        return location_key(self.session, self.section_id, CAMPAIGN, "")

    def _go_problem(self, backwards: bool) -> None:
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

    def action_undo(self) -> None:
        if not self.saver.flush():
            # Undo reverts what the file holds: with changes still waiting, it would revert the wrong one.
            self.notify("Des modifications attendent encore d'être enregistrées : l'annulation attend "
                        "qu'elles le soient.", severity="warning")
            return
        try:
            rows = self.session.undo()
        except Exception as exc:  # noqa: BLE001 - UserError in read-only mode
            self.notify(str(exc), severity="warning")
            return
        if not rows:
            self.notify("Rien à annuler.")
            return
        self.query_one(LevelPanel).refresh_figures()
        self.query_one(Sidebar).rebuild()
        row = rows[-1]
        self.show_section(self.section_id, row.scope if row.scope != CAMPAIGN else "", row.field, rebuild=True)
        self.notify(f"Annulé : {describe(self.session, row)}", title="Annulation")

    def action_review(self) -> None:
        self.saver.flush()
        from .review import ReviewScreen

        def done(target) -> None:
            if isinstance(target, Navigate):
                self.show_section(target.section, target.scope, target.field)

        self.app.push_screen(ReviewScreen(self.session, readonly=self.session.readonly), done)

    def action_export(self) -> None:
        if not self.saver.flush():
            # The bundle is made from the file: it would not hold what is on screen.
            self.notify("Des modifications ne sont pas encore enregistrées : l'export attend qu'elles le soient "
                        "(nouvel essai automatique).", severity="warning")
            return
        from .export import ExportScreen

        self.app.push_screen(ExportScreen(self.session, self.app.settings))

    async def action_quit(self) -> None:
        """From the palette (its commands run on this screen): the app's quit, which asks first if
        something is not saved."""
        await self.app.action_quit()

    def action_help(self) -> None:
        from .modals import HelpScreen

        self.app.push_screen(HelpScreen(getattr(self.app, "keymap", {})))

