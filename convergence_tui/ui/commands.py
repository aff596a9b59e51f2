"""Every user command, defined once: key, label, help line, palette entry.

Bindings, the footer, the help screen, the command palette and the user's
keymap all come from this table. A binding's `id` is the command id, which
is what a keymap in the config file names.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str
    label: str  # short, for the footer and the palette
    help: str  # one French sentence for the help screen
    scope: str = "app"  # app | grid | list | form
    show: bool = True  # in the footer
    palette: bool = True

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.label, show=self.show, id=self.id)


COMMANDS: tuple[Command, ...] = (
    Command("help", "question_mark,f1", "help", "Aide", "Afficher l'aide et toutes les touches."),
    Command("search", "slash,ctrl+f", "search", "Chercher",
            "Chercher une question ou un critère (Entrée pour y aller) ; ctrl+f marche aussi dans un champ."),
    Command("next_section", "right_square_bracket", "next_section", "Section suiv.",
            "Aller à la section suivante.", show=False),
    Command("previous_section", "left_square_bracket", "previous_section", "Section préc.",
            "Aller à la section précédente.", show=False),
    Command("home", "h", "show_home", "Accueil",
            "Revenir à l'accueil : où reprendre (Entrée), complétude, validation.", show=False),
    Command("next_problem", "n", "next_problem", "À compléter",
            "Aller à la prochaine réponse manquante ou invalide, dans toute la campagne."),
    Command("previous_problem", "N", "previous_problem", "Précédent à compléter",
            "Revenir à la réponse manquante ou invalide précédente.", show=False),
    Command("undo", "ctrl+z", "undo", "Annuler", "Annuler la dernière modification (depuis le journal)."),
    Command("review", "r", "review", "Revue", "Revue : complétude, services, plan, calendrier, freins, validation."),
    Command("export", "e", "export", "Exporter", "Exporter le paquet signé (brouillon possible) pour l'ANS."),
    Command("focus_sections", "escape", "back", "Retour", "Revenir en arrière (liste, puis sections).", show=False,
            palette=False),
    Command("quit", "ctrl+q", "quit", "Quitter",
            "Quitter (demande d'abord si une modification n'a pas pu être enregistrée)."),
    *(
        Command(f"section_{n}", str(n), f"goto_section({n})", f"Section {n}", f"Aller à la section {n}.",
                show=False, palette=False)
        for n in range(1, 10)
    ),
    # In the grid of a service
    *(
        Command(f"level_{n}", str(n), f"set_level({n})", f"Niveau {n}", f"Grille : mettre le niveau {n}.",
                scope="grid", show=n == 0, palette=False)
        for n in range(5)
    ),
    Command("not_applicable", "x", "not_applicable", "NA", "Grille : critère non applicable (demande la "
            "justification).", scope="grid", palette=False),
    Command("comment", "c", "comment", "Commentaire", "Grille : écrire le commentaire du critère.",
            scope="grid", palette=False),
    Command("evidence", "p", "evidence", "Preuve", "Grille : écrire la preuve (document, audit, certificat).",
            scope="grid", palette=False),
    Command("new_blocker", "b", "new_blocker", "Frein", "Grille : décrire un frein sur l'écart de la ligne "
            "(pré-rempli).", scope="grid", palette=False),
    Command("new_action", "a", "new_action", "Action", "Grille : planifier une action sur l'écart de la ligne "
            "(pré-remplie).", scope="grid", palette=False),
    Command("next_service", "full_stop", "next_service", "Service suiv.", "Grille : service suivant.",
            scope="grid", show=False, palette=False),
    Command("previous_service", "comma", "previous_service", "Service préc.", "Grille : service précédent.",
            scope="grid", show=False, palette=False),
    # In a list of services, indicators, finance lines, blockers or actions
    Command("add_item", "a,plus", "add_item", "Ajouter", "Liste : ajouter un élément.", scope="list",
            palette=False),
    Command("edit_item", "enter", "edit_item", "Modifier", "Liste : modifier l'élément sélectionné.",
            scope="list", palette=False),
    Command("delete_item", "d,delete", "delete_item", "Supprimer", "Liste : supprimer l'élément (avec "
            "confirmation).", scope="list", palette=False),
)

SCOPE_TITLES = {"app": "Partout", "grid": "Grille d'un service", "list": "Listes", "form": "Formulaires"}
FORM_KEYS = (
    ("tab / maj+tab", "Passer au champ suivant / précédent."),
    ("échap", "Quitter le champ (les touches à une lettre redeviennent actives)."),
    ("ctrl+p", "Palette de commandes."),
)


def bindings(scope: str) -> list[Binding]:
    return [c.binding() for c in COMMANDS if c.scope == scope]


def by_id(command_id: str) -> Command:
    return next(c for c in COMMANDS if c.id == command_id)
