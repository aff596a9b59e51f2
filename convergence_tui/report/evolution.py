"""The comparison document (campaign/comparison.py) for people: the lines `convergence compare`
prints, the HTML report's « Évolution » section; the TUI's tab reads the same sentences.

Everything from a file (names, titles, paths, the signer) goes through `printable()` here or, in
the HTML, through `html.e()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..escaping import printable
from ..referentiel.values import REGIONS
from .format import STATUS_LABELS, STATUS_SHORT, counted, date_fr, datetime_fr, pct

FILE_STATES = {
    "present": "présent, identique à ce qui a été vérifié",
    "changed": "MODIFIÉ depuis sa vérification : la comparaison utilise la version vérifiée alors",
    "missing": "INTROUVABLE (déplacé ou supprimé) : la comparaison utilise ce qui en a été vérifié",
}
ACTION_STATUS = {"planned": "prévue", "in_progress": "en cours", "done": "faite", "abandoned": "abandonnée"}
CHANGE_MARK = {"up": "↑", "down": "↓", "same": "=", "other": "≠"}


def level_text(value: Any) -> str:
    """A criterion's level as the grid says it: 0–4, « NA », « — » when not answered."""
    return "—" if value is None else str(value)


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}".replace(".", ",")


def baseline_line(doc: Mapping[str, Any]) -> str:
    b = doc["baseline"]
    c = b["campaign"]
    region = c.get("region")
    where = f"{REGIONS[region]} ({region})" if region in REGIONS else (region or "région non renseignée")
    who = b["signer"]["subject"] + ("" if b["signer"]["authenticated"] else " (signataire non authentifié)")
    return printable(f"Référence : {where}, campagne {c.get('label') or '?'}, niveaux dus au "
                     f"{date_fr(c.get('reference_date'))}{' (brouillon)' if b['draft'] else ''} ; paquet signé par "
                     f"{who}, vérifié le {datetime_fr(b['verified_at'])}.")


def short_baseline_line(doc: Mapping[str, Any]) -> str:
    """The reference in two lines at 80 columns (the review's tab): campaign, verification, comparable share."""
    b, c = doc["baseline"], doc["criteria"]
    who = "" if b["signer"]["authenticated"] else ", signataire non authentifié"
    return printable(f"Référence : {b['campaign'].get('label') or '?'} (dus au "
                     f"{date_fr(b['campaign'].get('reference_date'))}{', brouillon' if b['draft'] else ''}), vérifiée "
                     f"le {date_fr(b['verified_at'][:10])}{who} · {c['comparable']}/{c['total']} critères comparables "
                     f"({pct(c['share'])})")


def short_summary(doc: Mapping[str, Any]) -> str:
    s, due = doc["summary"], doc["actions"]
    return (f"Services : {counted(s['services_kept'], 'suivi')}, {counted(s['services_added'], 'ajouté')}, "
            f"{counted(s['services_retired'], 'retiré')} · statut {s['status_up']}↑ {s['status_down']}↓ · critères "
            f"{s['criteria_up']}↑ {s['criteria_down']}↓ · actions échues : {len(due)}, "
            f"{counted(sum(1 for a in due if a['happened']), 'réalisée')}")


def file_line(doc: Mapping[str, Any]) -> str:
    b = doc["baseline"]
    return printable(f"Fichier de référence : {b['file']} — {FILE_STATES[b['file_state']]}.")


def criteria_line(doc: Mapping[str, Any]) -> str:
    c, then, now = doc["criteria"], doc["baseline"]["referentiel"], doc["current"]["referentiel"]
    questionnaires = (f"questionnaire {then['version']}" if then == now
                      else f"questionnaires {then['version']} (référence) et {now['version']} (maintenant)")
    line = (f"Critères comparables : {c['comparable']} sur {c['total']} ({pct(c['share'])}), {questionnaires}")
    extra = []
    if c["only_baseline"]:
        extra.append(f"seulement dans la référence : {', '.join(c['only_baseline'])}")
    if c["only_current"]:
        extra.append(f"seulement maintenant : {', '.join(c['only_current'])}")
    return printable(line + (f" ; {' ; '.join(extra)}" if extra else "") + ".")


def services_line(doc: Mapping[str, Any]) -> str:
    s = doc["summary"]
    return (f"Services (appariés par identifiant) : {counted(s['services_kept'], 'suivi')}, "
            f"{counted(s['services_added'], 'ajouté')}, {counted(s['services_retired'], 'retiré')} ; statut : "
            f"{s['status_up']} en progrès, {s['status_down']} en recul ; niveaux des critères : {s['criteria_up']} en "
            f"hausse, {s['criteria_down']} en baisse.")


def statuses_line(doc: Mapping[str, Any]) -> str:
    counts = doc["region"]["status_counts"]
    # The counts come from the baseline remembered in the campaign file: escaped as any text read back.
    return "Statuts (référence → maintenant) : " + ", ".join(
        f"{STATUS_SHORT[k]} {printable(str(v['baseline']))} → {printable(str(v['current']))}"
        for k, v in counts.items()) + "."


def actions_line(doc: Mapping[str, Any]) -> str:
    due = doc["actions"]
    done = sum(1 for a in due if a["happened"])
    if not due:
        return f"Actions du plan de référence échues au {date_fr(doc['as_of'])} : aucune."
    return (f"Actions du plan de référence échues au {date_fr(doc['as_of'])} : {len(due)}, dont "
            f"{counted(done, 'réalisée')}.")


def action_outcome(a: Mapping[str, Any]) -> str:
    """« réalisée », « niveau atteint (statut : en cours) », « déclarée faite, niveau non atteint »…"""
    now = a["status"]["current"]
    said = "action supprimée depuis" if now is None else f"statut : {ACTION_STATUS.get(now, now)}"
    if now == "done":
        return "réalisée" if a["reached"] is not False else "déclarée faite, niveau promis non atteint"
    if a["reached"]:
        return f"niveau promis atteint ({said})"
    return f"non réalisée ({said})"


def service_change(s: Mapping[str, Any]) -> str:
    """What moved for one service, in one line (without its name)."""
    st, lv = s["status"], s["level"]
    if s["state"] == "added":
        twin = f" — même nom que {s['same_name_as']}, retiré : ce n'est pas le même identifiant" \
            if s["same_name_as"] else ""
        return f"ajouté : {STATUS_LABELS[st['current']]}, niveau {lv['current']}{twin}"
    if s["state"] == "retired":
        return f"retiré (était {STATUS_LABELS[st['baseline']]}, niveau {lv['baseline']})"
    parts = []
    cat = s["category"]
    if cat["baseline"] != cat["current"]:
        parts.append(f"catégorie {cat['baseline'] or '—'} → {cat['current'] or '—'}")
    if st["change"] != "same":
        parts.append(f"{STATUS_SHORT[st['baseline']]} → {STATUS_SHORT[st['current']]}")
    if lv["change"] != "same":
        parts.append(f"niveau {lv['baseline']} → {lv['current']}")
    g = s["maturity"]["global"]
    if g["baseline"] != g["current"]:
        parts.append(f"maturité {number(g['baseline'])} → {number(g['current'])}")
    moved = [c for c in s["criteria"] if c["change"] != "same"]
    if moved:
        parts.append(" ".join(f"{c['criterion']} {level_text(c['baseline'])}→{level_text(c['current'])}"
                              for c in moved))
    return " ; ".join(parts) or "inchangé"


def changed_services(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The services that moved: changed ones, then added, then retired."""
    order = {"kept": 0, "added": 1, "retired": 2}
    return sorted((s for s in doc["services"] if s["state"] != "kept" or service_change(s) != "inchangé"),
                  key=lambda s: order[s["state"]])


def text_lines(doc: Mapping[str, Any], axes: Mapping[str, str]) -> list[str]:
    """What `convergence compare` prints. `axes`: axis id -> label."""
    lines = [baseline_line(doc), file_line(doc), criteria_line(doc), "",
             "Maturité de la région (référence → maintenant) :"]
    for axis, m in doc["region"]["maturity"].items():
        label = "Global" if axis == "global" else axes.get(axis, axis)
        lines.append(printable(f"  {label:<20} {number(m['baseline']):>5} → {number(m['current']):>5}  "
                               f"{signed(m['delta'])}".rstrip()))
    lines += [statuses_line(doc), services_line(doc), ""]
    moved = changed_services(doc)
    if moved:
        lines.append("Ce qui a changé, service par service :")
        lines += [printable(f"  {s['name']} ({s['id']}) : {service_change(s)}") for s in moved]
    else:
        lines.append("Aucun service n'a changé.")
    lines += ["", actions_line(doc)]
    lines += [printable(f"  {a['id']} « {a['title'] or 'sans titre'} » (échéance {date_fr(a['due'])}, niveau "
                        f"{a['target_level']}) : {action_outcome(a)}") for a in doc["actions"]]
    return lines


def pair_chart(axes: list[tuple[str, str]], maturity: Mapping[str, Mapping[str, Any]], width: int = 520) -> str:
    """Maturity per axis then and now, two bars per axis (the reference light, now dark), inline SVG."""
    from .html import e

    rows = [*axes, ("global", "Global")]
    label_w, value_w = 150, 110
    bar_w = width - label_w - value_w
    height = 34 * len(rows) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="Maturité par axe, référence et maintenant" viewBox="0 0 {width} {height}">',
             f'<rect x="{label_w}" y="2" width="12" height="8" fill="#9fb3c8"/>'
             f'<text x="{label_w + 16}" y="10" font-size="11" fill="#5b6875">référence</text>'
             f'<rect x="{label_w + 90}" y="2" width="12" height="8" fill="#2f5f98"/>'
             f'<text x="{label_w + 106}" y="10" font-size="11" fill="#5b6875">maintenant</text>']
    for i, (axis, label) in enumerate(rows):
        y = 20 + 34 * i
        m = maturity.get(axis, {})
        parts.append(f'<text x="0" y="{y + 17}" font-size="13" fill="#1d2733">{e(label)}</text>')
        for j, (key, colour) in enumerate((("baseline", "#9fb3c8"), ("current", "#2f5f98"))):
            value = m.get(key)
            w = 0 if value is None else round(bar_w * value / 100, 1)
            parts.append(f'<rect x="{label_w}" y="{y + 13 * j}" width="{bar_w}" height="12" fill="#e8edf2"/>'
                         f'<rect x="{label_w}" y="{y + 13 * j}" width="{w}" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 17}" font-size="13" fill="#1d2733">'
                     f'{e(number(m.get("baseline")))} → {e(number(m.get("current")))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_section(doc: Mapping[str, Any], axes: list[tuple[str, str]]) -> str:
    """The report's « Évolution » section (`convergence report` only: a bundle's report says only what
    its own data prove, and a verifier has no baseline)."""
    from .html import e

    region = doc["region"]
    out = ["<h2>Évolution depuis la campagne de référence</h2>",
           f"<p>{e(baseline_line(doc))}<br>{e(file_line(doc))}<br>{e(criteria_line(doc))}</p>",
           "<h3>Maturité par axe</h3>", pair_chart(axes, region["maturity"]),
           '<table><thead><tr><th>Statut</th><th class="num">Référence</th><th class="num">Maintenant</th></tr>'
           "</thead><tbody>"]
    out += [f'<tr><td class="{k}">{e(STATUS_LABELS[k])}</td><td class="num">{e(str(v["baseline"]))}</td>'
            f'<td class="num">{e(str(v["current"]))}</td></tr>' for k, v in region["status_counts"].items()]
    out.append(f"</tbody></table><p>{e(services_line(doc))}</p>")
    moved = changed_services(doc)
    if moved:
        out.append("<table><thead><tr><th>Service</th><th>Ce qui a changé</th></tr></thead><tbody>")
        out += [f"<tr><td>{e(s['name'])}</td><td>{e(service_change(s))}</td></tr>" for s in moved]
        out.append("</tbody></table>")
    out.append(f"<p><b>{e(actions_line(doc))}</b></p>")
    if doc["actions"]:
        out.append('<table><thead><tr><th>Action</th><th>Échéance</th><th class="num">Niveau promis</th>'
                   "<th>Ce qu'il en est</th></tr></thead><tbody>")
        out += [f"<tr><td>{e(a['title'] or a['id'])}</td><td>{e(date_fr(a['due']))}</td>"
                f'<td class="num">{e(a["target_level"])}</td><td>{e(action_outcome(a))}</td></tr>'
                for a in doc["actions"]]
        out.append("</tbody></table>")
    return "".join(out)
