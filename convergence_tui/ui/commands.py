"""Every key of the program, defined once: its keys, its label, its help line, its palette entry.

Every widget's and screen's bindings come from this table (`bindings(scope)`), and so do the key
bar, the help screen, the command palette, every hint written on screen (`hint()`, `key_label()`)
and `docs/keymap.md` (`python -m convergence_tui.ui.commands > docs/keymap.md`; a test keeps it
current). A binding's `id` is the command's id, which a user keymap names (`[keymap]` in the
settings file): the app applies it with Textual's `set_keymap` and `use_keymap()` here, so a key
remapped is shown remapped everywhere.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str
    label: str  # short, for the key bar, hints and the palette
    help: str  # one French sentence for the help screen
    scope: str = "app"  # where it applies: see SCOPES
    show: bool = True  # in the key bar
    palette: bool = False  # in the command palette (the app's commands that make sense from anywhere)
    priority: bool = False

    def binding(self) -> Binding:
        # The default keys: the user's keymap is applied by Textual (App.set_keymap), by id.
        return Binding(self.keys, self.action, self.label, show=self.show, id=self.id,
                       priority=self.priority)


# Scope -> title in the help screen and docs/keymap.md, in the order they are listed.
SCOPES = {
    "app": "Partout",
    "home": "Accueil",
    "grid": "Grille d'un service",
    "list": "Listes (services, indicateurs, finances, freins, actions)",
    "table": "Tableaux",
    "choice": "Champ à choix",
    "covers": "Écarts couverts (freins et actions)",
    "validation": "Validation",
    "review": "Revue",
    "gaps": "Revue, onglet Plan : les écarts sans frein ou sans action",
    "export": "Export",
    "merge": "Fusion des copies de l'équipe",
    "dialog": "Questions et textes",
    "unsaved": "Quitter avec des modifications non enregistrées",
    "picker": "Listes de choix et recherche",
    "help": "Aide",
    "reading": "Lecture d'un texte",
    "wizard": "Assistant de création",
}

APP = (
    Command("help", "question_mark,f1", "help", "Aide", "Afficher l'aide et toutes les touches.", palette=True),
    Command("search", "slash,ctrl+f", "search", "Chercher",
            "Chercher une question ou un critère et y aller (la seconde touche marche aussi dans un champ).",
            palette=True),
    Command("next_section", "right_square_bracket", "next_section", "Section suiv.",
            "Aller à la section suivante.", show=False, palette=True),
    Command("previous_section", "left_square_bracket", "previous_section", "Section préc.",
            "Aller à la section précédente.", show=False, palette=True),
    Command("home", "h", "show_home", "Accueil",
            "Revenir à l'accueil : où reprendre, complétude, validation.", show=False, palette=True),
    Command("next_problem", "n", "next_problem", "À compléter",
            "Aller à la prochaine réponse manquante ou invalide, dans toute la campagne.", palette=True),
    Command("previous_problem", "N", "previous_problem", "Précédent à compléter",
            "Revenir à la réponse manquante ou invalide précédente.", show=False, palette=True),
    Command("undo", "ctrl+z", "undo", "Annuler", "Annuler la dernière modification (depuis le journal).",
            palette=True),
    Command("review", "r", "review", "Revue",
            "Revue : complétude, services, plan, calendrier, freins, évolution, validation.", palette=True),
    Command("export", "e", "export", "Exporter", "Exporter le paquet signé (brouillon possible) pour l'ANS.",
            palette=True),
    Command("merge", "m", "merge", "Fusion",
            "Fusion : réunir la copie d'un coéquipier, voir et résoudre les conflits.", show=False, palette=True),
    Command("merge_copy", "M", "merge_copy", "Fusionner une copie",
            "Fusionner la copie d'un coéquipier (chemin du fichier ; la copie n'est jamais modifiée).",
            show=False, palette=True),
    Command("baseline", "ctrl+r", "set_baseline", "Paquet de référence",
            "Choisir ou changer le paquet de référence (la campagne précédente de la région) : l'onglet Évolution "
            "de la revue compare la campagne avec lui.", show=False, palette=True),
    Command("focus_sections", "escape", "back", "Retour", "Revenir en arrière (liste, puis sections).", show=False),
    Command("quit", "ctrl+q", "quit", "Quitter",
            "Quitter (demande d'abord si une modification n'a pas pu être enregistrée).", palette=True,
            priority=True),
    *(
        Command(f"section_{n}", str(n), f"goto_section({n})", f"Section {n}", f"Aller à la section {n}.",
                show=False)
        for n in range(1, 10)
    ),
)

VIEWS = (
    Command("resume", "enter", "resume", "Reprendre",
            "Aller là où la dernière modification a été faite (ou commencer).", scope="home"),
    # In the grid of a service
    *(
        Command(f"level_{n}", str(n), f"set_level({n})", f"Niveau {n}", f"Mettre le niveau {n}.",
                scope="grid", show=n == 0)
        for n in range(5)
    ),
    Command("not_applicable", "x", "not_applicable", "NA",
            "Critère non applicable (demande la justification).", scope="grid"),
    Command("comment", "c", "comment", "Commentaire", "Écrire le commentaire du critère.", scope="grid"),
    Command("criterion_info", "i", "criterion_info", "Détails",
            "Lire tout le critère : ce que veut dire chaque niveau, l'aide, la source.", scope="grid"),
    Command("evidence", "p", "evidence", "Preuve", "Écrire la preuve (document, audit, certificat).", scope="grid"),
    Command("new_blocker", "b", "new_blocker", "Frein", "Décrire un frein sur l'écart de la ligne (pré-rempli).",
            scope="grid"),
    Command("new_action", "a", "new_action", "Action",
            "Planifier une action sur l'écart de la ligne (pré-remplie).", scope="grid"),
    Command("next_service", "full_stop", "next_service", "Service suiv.", "Service suivant.", scope="grid",
            show=False),
    Command("previous_service", "comma", "previous_service", "Service préc.", "Service précédent.",
            scope="grid", show=False),
    # In a list of services, indicators, finance lines, blockers or actions
    Command("add_item", "a,plus", "add_item", "Ajouter", "Ajouter un élément.", scope="list"),
    Command("edit_item", "enter", "edit_item", "Modifier", "Modifier l'élément sélectionné.", scope="list"),
    Command("delete_item", "d,delete", "delete_item", "Supprimer", "Supprimer l'élément (avec confirmation).",
            scope="list"),
    Command("table_up", "up,k", "cursor(-1)", "Haut", "Ligne précédente.", scope="table", show=False),
    Command("table_down", "down,j", "cursor(1)", "Bas", "Ligne suivante.", scope="table", show=False),
    Command("table_page_up", "pageup", "page(-1)", "Page préc.", "Page précédente.", scope="table", show=False),
    Command("table_page_down", "pagedown", "page(1)", "Page suiv.", "Page suivante.", scope="table", show=False),
    Command("table_home", "home", "edge(0)", "Début", "Première ligne.", scope="table", show=False),
    Command("table_end", "end", "edge(1)", "Fin", "Dernière ligne.", scope="table", show=False),
    Command("table_select", "enter", "select", "Ouvrir", "Ouvrir la ligne.", scope="table", show=False),
    Command("choice_open", "enter,space", "open", "Choisir", "Ouvrir la liste des choix (filtrable).",
            scope="choice"),
    Command("choice_previous", "left", "step(-1)", "Précédent", "Choix précédent.", scope="choice", show=False),
    Command("choice_next", "right", "step(1)", "Suivant", "Choix suivant.", scope="choice", show=False),
    Command("choice_clear", "delete,backspace", "clear", "Vider", "Vider le champ.", scope="choice", show=False),
    Command("gap_toggle", "space", "select", "Cocher", "Cocher ou décocher l'écart sous le curseur.", scope="covers"),
    Command("gap_group", "g", "group", "Groupe",
            "Cocher d'un coup un groupe d'écarts : ceux du service sur le même axe, tous ceux du service, le même "
            "critère sur tous les services, ou tous ceux des services du même éditeur.", scope="covers"),
    Command("sign_off", "ctrl+s", "sign", "Valider", "Valider la campagne (nom et fonction du responsable).",
            scope="validation"),
)

SCREENS = (
    *(
        Command(f"review_tab_{n}", str(n), f"tab({n - 1})", label, f"Onglet « {label} ».", scope="review",
                show=False)
        for n, label in enumerate(("Complétude", "Services", "Plan", "Calendrier", "Freins", "Évolution"), 1)
    ),
    Command("review_next_tab", "tab", "next_tab", "Onglet suivant", "Onglet suivant.", scope="review"),
    Command("review_sort", "s", "sort", "Trier", "Trier le tableau des services (nom, statut, niveau…).",
            scope="review"),
    Command("review_baseline", "ctrl+r", "set_baseline", "Référence",
            "Revue : choisir ou changer le paquet de référence de l'onglet Évolution.", scope="review"),
    Command("review_close", "escape,r", "close", "Fermer", "Fermer la revue.", scope="review"),
    Command("gaps_tick", "space", "tick", "Cocher", "Plan : cocher ou décocher l'écart sous le curseur.",
            scope="gaps"),
    Command("gaps_tick_all", "ctrl+a", "tick_all", "Tout cocher",
            "Plan : cocher tous les écarts affichés (ceux que le filtre garde), ou les décocher.", scope="gaps"),
    Command("gaps_blocker", "b", "create('blocker')", "Frein",
            "Plan : un frein couvrant les écarts cochés (ou celui sous le curseur).", scope="gaps"),
    Command("gaps_action", "a", "create('action')", "Action",
            "Plan : une action couvrant les écarts cochés (ou celui sous le curseur).", scope="gaps"),
    Command("gaps_filter", "slash", "filter", "Filtrer",
            "Plan : filtrer les écarts par service, axe, critère ou éditeur.", scope="gaps"),
    Command("export_run", "ctrl+s", "export", "Exporter", "Écrire le paquet signé.", scope="export"),
    Command("export_close", "escape", "close", "Fermer", "Fermer l'export.", scope="export"),
    Command("export_done", "enter", "done", "Fermer", "Fermer le compte rendu de l'export, une fois écrit.",
            scope="export"),
    Command("merge_mine", "o", "resolve('mine')", "Garder la mienne",
            "Conflit : garder la valeur de ce fichier.", scope="merge"),
    Command("merge_theirs", "t", "resolve('theirs')", "Prendre l'autre",
            "Conflit : prendre la valeur de la copie.", scope="merge"),
    Command("merge_edit", "e", "edit", "Écrire", "Conflit : écrire une autre valeur (un texte, un nombre, une date).",
            scope="merge"),
    Command("merge_next", "n", "step(1)", "Suivant", "Conflit suivant.", scope="merge"),
    Command("merge_previous", "N", "step(-1)", "Précédent", "Conflit précédent.", scope="merge", show=False),
    Command("merge_file", "f", "merge_file", "Fusionner", "Fusionner la copie d'un coéquipier (chemin du fichier).",
            scope="merge"),
    Command("merge_close", "escape", "close", "Fermer", "Fermer l'écran de fusion.", scope="merge"),
    Command("confirm_yes", "o,y", "answer(True)", "Oui", "Répondre oui.", scope="dialog"),
    Command("confirm_no", "n,escape", "answer(False)", "Non", "Répondre non.", scope="dialog"),
    Command("prompt_save", "ctrl+s", "save", "Enregistrer", "Enregistrer le texte écrit.", scope="dialog"),
    Command("prompt_cancel", "escape", "cancel", "Annuler", "Fermer sans rien changer.", scope="dialog"),
    Command("unsaved_retry", "r", "choose('retry')", "Réessayer", "Réessayer d'enregistrer, puis quitter.",
            scope="unsaved"),
    Command("unsaved_stay", "escape,s", "choose('stay')", "Rester", "Rester (rien n'est perdu).",
            scope="unsaved"),
    Command("unsaved_lose", "p", "choose('lose')", "Quitter et perdre",
            "Quitter en perdant ce qui n'est pas enregistré (listé en quittant).", scope="unsaved"),
    Command("picker_close", "escape", "cancel", "Fermer", "Fermer sans choisir.", scope="picker"),
    Command("picker_down", "down", "move(1)", "Bas", "Choix suivant.", scope="picker", show=False),
    Command("picker_up", "up", "move(-1)", "Haut", "Choix précédent.", scope="picker", show=False),
    Command("help_close", "escape,question_mark,f1,q", "close", "Fermer", "Fermer l'aide.", scope="help"),
    Command("reading_close", "escape,enter,q", "close", "Fermer", "Fermer ce texte.", scope="reading"),
    Command("wizard_create", "ctrl+s", "create", "Créer", "Créer la campagne.", scope="wizard"),
)

COMMANDS: tuple[Command, ...] = (*APP, *VIEWS, *SCREENS)
BY_ID = {c.id: c for c in COMMANDS}

# Textual's own keys, not ours to remap: said in the help all the same.
TEXTUAL_KEYS = (
    ("tab / maj+tab", "Passer au champ suivant / précédent."),
    ("échap", "Quitter le champ (les touches à une lettre redeviennent actives)."),
    ("ctrl+p", "Palette de commandes."),
)

# The user's keymap (command id -> keys), set once by the app from the settings file.
_keymap: dict[str, str] = {}


def use_keymap(keymap: dict[str, str]) -> None:
    _keymap.clear()
    _keymap.update({k: v for k, v in keymap.items() if k in BY_ID})


def keys_of(command_id: str) -> str:
    """The keys of a command (Textual names, comma-separated), the user's keymap applied."""
    return _keymap.get(command_id) or BY_ID[command_id].keys


KEY_NAMES = {
    "question_mark": "?", "slash": "/", "right_square_bracket": "]", "left_square_bracket": "[",
    "full_stop": ".", "comma": ",", "escape": "échap", "enter": "Entrée", "plus": "+", "delete": "suppr",
    "backspace": "retour arrière", "space": "espace", "pageup": "page préc.", "pagedown": "page suiv.",
    "home": "début", "end": "fin", "up": "↑", "down": "↓", "left": "←", "right": "→", "tab": "tab",
}


def key_name(key: str) -> str:
    """How a person reads one Textual key name: « Entrée », « ctrl+s », « ? », « F1 »."""
    key = key.strip()
    return KEY_NAMES.get(key, key.upper() if len(key) in (2, 3) and key[0] == "f" and key[1:].isdigit() else key)


def key_label(command_id: str, *, every: bool = False) -> str:
    """How a person reads the key of a command: its first key, or every key with `every` (« ? / F1 »)."""
    shown = [key_name(k) for k in keys_of(command_id).split(",") if k.strip()]
    return " / ".join(shown) if every else shown[0]


def hint(*command_ids: str, separator: str = " · ") -> str:
    """A line of keys for the screen: « a ajouter · Entrée modifier · d supprimer »."""
    return separator.join(f"{key_label(c)} {BY_ID[c].label.lower()}" for c in command_ids)


def bindings(scope: str) -> list[Binding]:
    return [c.binding() for c in COMMANDS if c.scope == scope]


def bindings_of(*command_ids: str) -> list[Binding]:
    return [BY_ID[c].binding() for c in command_ids]


def markdown() -> str:
    """docs/keymap.md: how to change keys, and every command with its default keys."""
    lines = [
        "# Keys",
        "",
        "Generated from `convergence_tui/ui/commands.py` (`python -m convergence_tui.ui.commands >",
        "docs/keymap.md`; a test fails when this file is not what the registry says). Every key of the",
        "program is defined there once: the bindings, the key bar, the help screen (`?` or `F1`), the",
        "command palette (`ctrl+p`) and every hint on screen come from it, with your keymap applied.",
        "",
        "## Changing keys",
        "",
        "The settings file is `config.toml` in the user configuration folder",
        "(`~/.config/convergence-tui/config.toml` on Linux; `CONVERGENCE_CONFIG` points elsewhere). You",
        "write it; the program reads it and never writes it (README, « Vos fichiers »). Its `[keymap]`",
        "table maps a command id to one or more keys (comma-separated, Textual key names):",
        "",
        "```toml",
        "[keymap]",
        'next_problem = "ctrl+n"',
        'previous_problem = "ctrl+b"',
        'search = "ctrl+f,slash"',
        "```",
        "",
        "A file that cannot be read is reported when the app starts and the defaults are used.",
        "",
        "## Default keys",
    ]
    for scope, title in SCOPES.items():
        lines += ["", f"### {title}", "", "| id | keys | does |", "|---|---|---|"]
        for c in COMMANDS:
            if c.scope == scope:
                keys = " / ".join(f"`{k}`" for k in key_label(c.id, every=True).split(" / "))
                lines.append(f"| `{c.id}` | {keys} | {c.help} |")
    lines += ["", "### Textual's own keys (not remappable here)", "", "| keys | does |", "|---|---|"]
    lines += [f"| {keys} | {text} |" for keys, text in TEXTUAL_KEYS]
    lines += ["", "Focusing a text field selects its text, so typing replaces it (as in a web form); press",
              "`End` or an arrow key first to edit it instead. In a text field, letters go to the field; after",
              "`échap` the one-letter keys work again.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
