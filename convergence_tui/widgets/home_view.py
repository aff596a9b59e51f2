"""The opening view: where to resume, how complete the campaign is, whether it is signed off.

One widget of text: it is what the program paints first, so that a 500-service
campaign opens as fast as a bare Textual app; its figures fill in once the
session's background read is done.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..referentiel.values import REGIONS
from ..ui.commands import bindings, key_label
from ..ui.messages import Navigate
from ..usecases.overview import recent_places, resume_point
from ..wording import counted
from .section import Place, SectionView, ViewContext
from .sidebar import fit

RECENT = 8  # changes listed (a terminal too short for them cuts the list, not the keys)

def home_keys() -> tuple[tuple[tuple[str, str], ...], ...]:
    """The keys the opening view names, as the user's keymap has them."""
    sections = f"{key_label('section_1')}…{key_label('section_9')}"
    return (((sections, "une section"), (key_label("next_problem"), "à compléter"), (key_label("review"), "la revue")),
            ((key_label("export"), "exporter"), (key_label("search"), "chercher"), (key_label("help"), "aide"),
             (key_label("home"), "accueil")))


class HomeView(Static, SectionView, can_focus=True):
    KIND = "home"
    DEFAULT_CLASSES = "home-view"
    BINDINGS = bindings("home")

    def __init__(self, session, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.session = session
        self._laid_out_width: int | None = None

    @classmethod
    def needs(cls, section) -> str:
        return "first"  # what the program paints first: the campaign's own answers are enough

    @classmethod
    def build(cls, saver, section, place: Place, context: ViewContext) -> HomeView:
        return cls(saver.session)

    def shows(self) -> set[str]:
        return set()  # cheap: refreshed each time it is shown

    def land(self, place: Place) -> None:
        self.refresh_figures()
        self.focus(scroll_visible=False)

    def on_mount(self) -> None:
        self.refresh_figures()
        self.focus(scroll_visible=False)

    def on_resize(self, event) -> None:
        # The last changes are cut to the width, one line each: redone only when the width changed
        # (shown again after a section, the view gets a resize of the same size).
        if event.size.width != self._laid_out_width:
            self._laid_out_width = event.size.width
            self.refresh_figures()

    def refresh_figures(self) -> None:
        session = self.session
        info = session.data.campaign_info()
        region = REGIONS.get(info["region"] or "", "région non renseignée")
        resume = resume_point(session)
        lines = [Content.styled(f"Campagne {info['label'] or '(semestre ?)'} · {region}", "bold"), Content("")]
        if resume.when:
            lines += [Content.assemble("Reprendre là où vous en étiez (", (key_label("resume"), "bold $accent"), ") :"),
                      Content.styled(f"  {resume.where}", "bold"),
                      Content.styled(f"  dernière modification le {resume.when}"
                                     + (f" par {resume.who}" if resume.who else ""), "dim")]
        else:
            lines += [Content.assemble("Commencer (", (key_label("resume"), "bold $accent"), ") :"),
                      Content.styled(f"  {resume.where}", "bold")]
        lines.append(Content(""))
        if session.complete:
            # Figures that stay cheap at any size (~40 ms at 500 services): the sections' progress
            # and the sign-off; the full list of what blocks an export is the review's (r). (The review
            # module is imported once the campaign is read: not at start-up.)
            from ..usecases import review

            rows, overall = review.completion(session)
            missing = sum(r.problems for r in rows)
            lines.append(Content.assemble("Complétude : ", (overall.sentence(), "bold")))
            missing_said = counted(missing, "réponse manquante ou invalide", "réponses manquantes ou invalides")
            lines.append(Content.styled(f"À compléter : {missing_said} "
                                        f"({key_label('next_problem')} pour y aller)", "$warning") if missing else
                         Content.styled(f"Toutes les réponses attendues sont là ; la revue ({key_label('review')}) "
                                        "dit ce qui "
                                        "bloque encore l'export définitif.", "$success"))
            text, colour = review.signoff_line(review.signoff_state(session))
            lines.append(Content.styled(text, colour))
            if conflicts := len(session.conflicts()):
                lines.append(Content.styled(f"Fusion : {counted(conflicts, 'conflit')} à résoudre "
                                            f"({key_label('merge')} pour les voir)", "bold $error"))
        else:
            lines.append(Content.styled("Lecture de la campagne…", "dim"))
        lines.append(Content(""))
        lines += [Content(" · ").join(Content.assemble((key, "bold"), f" {label}") for key, label in keys)
                  for keys in home_keys()]
        # Last, so that a small terminal cuts it, not the keys: what the team changed last.
        recent = recent_places(session, RECENT)
        if len(recent) > 1:
            lines += [Content(""), Content.styled("Dernières modifications :", "bold")]
            width = self.content_size.width  # one line each (0 before the first layout: not cut)
            for place in recent:
                head = f"  {place.when.replace(' à ', ' ')}  " + (f"{place.who}  " if place.who else "")
                where = fit(place.where, width - len(head)) if width > len(head) + 10 else place.where
                lines.append(Content.assemble((head, "dim"), where))
        self.update(Content("\n").join(lines))

    def action_resume(self) -> None:
        # An item not read yet (an indicator, a blocker…): the screen goes there once it is.
        resume = resume_point(self.session)
        self.post_message(Navigate(resume.section, resume.scope, resume.field))
