"""`rapport.html`: the bundle's report for people. One self-contained, printable French page:
inline CSS and SVG, no script, no font, no image, no link to anything outside."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from ..escaping import printable
from .format import STATUS_LABELS, conformity_pct, counted, date_fr, datetime_fr, pct

CSS = """
:root { --ink: #1d2733; --muted: #5b6875; --line: #d5dbe1; --ok: #2e7d4f; --mid: #b26a00; --ko: #b3261e;
        --bar: #2f5f98; --bg: #f5f7f9; }
* { box-sizing: border-box; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .6rem;
     border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.muted { color: var(--muted); } .draft { background: #fff4e5; border: 2px solid var(--mid); padding: .6rem 1rem;
         font-weight: 600; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .95em; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .4rem; text-align: left; vertical-align: top; }
th { background: var(--bg); } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.convergent { color: var(--ok); font-weight: 600; } .partially_convergent { color: var(--mid); font-weight: 600; }
.non_convergent { color: var(--ko); font-weight: 600; }
.service { break-inside: avoid; page-break-inside: avoid; border: 1px solid var(--line); border-radius: 6px;
           padding: .6rem 1rem; margin: 1rem 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid var(--line); border-radius: 6px;
         padding: .5rem 1rem; min-width: 9rem; } .card b { font-size: 1.4rem; display: block; }
.gantt td { text-align: center; font-family: ui-monospace, Menlo, Consolas, monospace; }
.gantt td.reached { background: #dcefe3; } .gantt td.target { background: #b9dfc6; font-weight: 700; }
.gantt td.action { color: var(--mid); } .gantt td.name { text-align: left; font-family: inherit; }
.text { white-space: pre-line; } .written { margin: .3rem 0 .6rem; } .written dt { font-weight: 600; }
.written dd { margin: 0 0 .4rem 1rem; white-space: pre-line; } td.text div + div { margin-top: .2rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } .service { margin: .5rem 0; } }
"""

TIMELINE = {"reached": "█", "target": "★", "action": "◆", "waiting": ""}


def e(value: object) -> str:
    # Text from a file is escaped twice: control characters made visible (a report shown in a
    # terminal or copied from must not act on it), then HTML. No line break between a number and
    # its unit: "90,0 %" and "359 000 €" stay whole in narrow columns.
    return escape(printable("" if value is None else value, multiline=True)).replace(" %", "\u00a0%").replace(
        " €", "\u00a0€")


def bar_chart(axes: list[tuple[str, str]], maturity: Mapping[str, float | None], width: int = 520) -> str:
    """Horizontal bars, one per axis and the global figure, as inline SVG."""
    rows = [*axes, ("global", "Global")]
    height = 26 * len(rows) + 10
    label_w, value_w = 150, 60
    bar_w = width - label_w - value_w
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="Maturité par axe" viewBox="0 0 {width} {height}">']
    for i, (axis, label) in enumerate(rows):
        y = 8 + 26 * i
        value = maturity.get(axis)
        w = 0 if value is None else round(bar_w * value / 100, 1)
        parts.append(f'<text x="0" y="{y + 13}" font-size="13" fill="#1d2733">{e(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="18" fill="#e8edf2"/>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="18" fill="#2f5f98"/>')
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 13}" font-size="13" fill="#1d2733">{e(pct(value))}'
                     "</text>")
    parts.append("</svg>")
    return "".join(parts)


def written(texts: list[tuple[str, str]]) -> str:
    """What the team wrote, each text under its label, line breaks kept."""
    return '<dl class="written">' + "".join(f"<dt>{e(label)}</dt><dd>{e(text)}</dd>" for label, text in texts) + "</dl>"


def plan_section(plan: Mapping[str, Any]) -> str:
    """The plan, each cause and each action once with the gaps it covers (F1, A1… as the gaps above
    name them), then the actions' calendar: one row per action, ◆ in the semester it is due."""
    def where(item: Mapping[str, Any]) -> str:
        return ("<br>".join(f"{e(name)} : {e(cids)}" for name, cids in item["where"])
                + f' <span class="muted">({e(counted(item["count"], "écart"))})</span>')

    out = ["<h2>Le plan : causes et actions</h2>"]
    if plan["blockers"]:
        out.append("<h3>Freins</h3><table><thead><tr><th>N°</th><th>Origine</th><th>Frein</th><th>Écarts couverts"
                   "</th></tr></thead><tbody>")
        out += [f"<tr><td>{e(b['number'])}</td><td>{e(b['category_label'])}</td><td class=\"text\">"
                f"{e(b['description'])}</td><td>{where(b)}</td></tr>" for b in plan["blockers"]]
        out.append("</tbody></table>")
    if plan["actions"]:
        semesters = sorted({a["semester"] for a in plan["actions"] if a["semester"]})
        out.append("<h3>Actions</h3><table class=\"gantt\"><thead><tr><th>N°</th><th>Action</th><th>Écarts "
                   "couverts</th><th class=\"num\">Cible</th><th>Porteur</th><th>Statut</th>"
                   + "".join(f"<th>{e(s)}</th>" for s in semesters) + "</tr></thead><tbody>")
        out += [f"<tr><td>{e(a['number'])}</td><td>{e(a['title'])}</td><td>{where(a)}</td>"
                f"<td class=\"num\">{e(a['target_level'])}</td><td>{e(a['owner_label'])}</td>"
                f"<td>{e(a['status_label'])}</td>"
                + "".join(f'<td class="action">{TIMELINE["action"]}</td>' if s == a["semester"] else "<td></td>"
                          for s in semesters) + "</tr>" for a in plan["actions"]]
        out.append("</tbody></table>")
    return "".join(out)


def shared(item: Mapping[str, Any]) -> str:
    """A blocker or an action covering gaps elsewhere too: said once beside it, with its id."""
    n = item.get("covers_count", 1)
    return f' <span class="muted">({e(item["id"])}, {counted(n, "écart")} en tout)</span>' if n > 1 else ""


def criterion_notes(notes: list[Mapping[str, Any]]) -> str:
    """The grid's texts of one service: NA justifications, evidence, comments, criterion by criterion."""
    rows = []
    for n in notes:
        level = "NA" if n["level"] == "NA" else ("—" if n["level"] is None else n["level"])
        texts = "".join(f"<div><b>{e(label)}</b> : {e(text)}</div>" for label, text in n["texts"])
        rows.append(f"<tr><td>{e(n['criterion'])}<br><span class=\"muted\">{e(n['label'])}</span></td>"
                    f'<td class="num">{e(level)}</td><td class="text">{texts}</td></tr>')
    return ("<p><b>Ce que l'équipe a écrit sur la grille</b></p><table><thead><tr><th>Critère</th>"
            '<th class="num">Niv.</th><th>Justification, preuve, commentaire</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def render(d: Mapping[str, Any]) -> bytes:
    axes = d["axes"]
    region = d["region"]
    counts = region["status_counts"]
    out = ["<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
           f"<title>Convergence — {e(d['region_name'])} {e(d['label'])}</title>",
           f"<style>{CSS}</style></head><body>"]
    out.append(f"<h1>Auto-évaluation Convergence — {e(d['region_name'])} ({e(d['region_code'])})</h1>")
    out.append(f"<p class=\"muted\">Campagne {e(d['label'])} · niveaux dus au {e(date_fr(d['reference_date']))} · "
               f"{e(d['grades'])} · {e(d['ars'])}</p>")
    signer = d["signer"]
    n = len(d["missing"])
    left = f"{counted(n, 'point')} {'restent' if n > 1 else 'reste'} à compléter (liste en fin de rapport)"
    if signer is None:
        out.append("<div class=\"draft\">RAPPORT DE TRAVAIL, NON SIGNÉ — tiré du fichier de campagne ; seul le "
                   "paquet exporté et signé (<code>convergence export</code>) est une soumission"
                   + (f" : {left}" if d["draft"] else "") + ".</div>")
    elif d["draft"]:
        out.append(f"<div class=\"draft\">BROUILLON — ce paquet n'est pas une soumission définitive : {left}.</div>")
    validation = d.get("validation")
    out.append("<table><tbody>")
    if signer is None:
        out.append("<tr><th>Signé par</th><td>personne : rapport de travail</td></tr>")
    else:
        out.append(f"<tr><th>Signé par</th><td>{e(signer['subject'])}<br><span class=\"muted\">empreinte SHA-256 "
                   f"du certificat : {e(signer['fingerprint'])}</span></td></tr>")
    out.append(f"<tr><th>Créé le</th><td>{e(datetime_fr(d['created_at']))}</td></tr>")
    out.append("<tr><th>Validation</th><td>" + (
        f"{e(validation['name'])} ({e(validation['role'])}), le {e(datetime_fr(validation['at']))}" if validation
        else "pas de validation en cours") + "</td></tr>")
    official = d["referentiel"].get("official")
    out.append(f"<tr><th>Questionnaire</th><td>{e(d['referentiel']['id'])} {e(d['referentiel']['version'])}"
               + {True: " (version officielle)", False: " — <b>NON officiel</b> : questionnaire propre à ce pilote, "
                  "le paquet ne se vérifie qu'avec ce fichier"}.get(official, "") + "</td></tr></tbody></table>")

    out.append("<h2>La région</h2>")
    if d["context"]:
        out.append(written(d["context"]))
    out.append('<div class="cards">' + "".join(
        f'<div class="card"><b class="{k}">{counts[k]}</b>{e(STATUS_LABELS[k])}</div>' for k in counts)
        + f'<div class="card"><b>{e(pct(region["completeness"]))}</b>complétude</div></div>')
    out.append("<h3>Maturité par axe</h3>" + bar_chart(axes, region["maturity"]))
    if d.get("comparison"):  # `convergence report` with a baseline set; never a bundle's report
        from .evolution import html_section

        out.append(html_section(d["comparison"], axes))

    out.append("<h2>Services</h2><table><thead><tr><th>Service</th><th>Catégorie</th><th>Statut</th>"
               "<th class=\"num\">Niv.</th>" + "".join(f'<th class="num">{e(a)}</th>' for a, _ in axes)
               + '<th class="num">Global</th><th class="num">Conf.</th><th>Cible atteinte</th></tr></thead><tbody>')
    for s in d["services"]:
        m = s["maturity"]
        out.append(f"<tr><td>{e(s['name'])}</td><td>{e(s['category'])}</td>"
                   f"<td class=\"{s['status']}\">{e(STATUS_LABELS[s['status']])}</td>"
                   f"<td class=\"num\">{s['level']}</td>"
                   + "".join(f'<td class="num">{e(pct(m.get(a)))}</td>' for a, _ in axes)
                   + f'<td class="num">{e(pct(m.get("global")))}</td>'
                   f"<td class=\"num\">{e(conformity_pct(s['conformity']))}</td>"
                   f"<td>{e(date_fr(s['target_reached_on']) if s['target_reached_on'] else 'jamais')}</td></tr>")
    out.append("</tbody></table>")

    for s in d["services"]:
        out.append(f'<div class="service"><h3>{e(s["name"])} <span class="muted">· {e(s["category_label"])}</span>'
                   "</h3>")
        out.append(f'<p><span class="{s["status"]}">{e(STATUS_LABELS[s["status"]])}</span>, niveau {s["level"]} · '
                   f'conformité {e(conformity_pct(s["conformity"]))} · complétude {e(pct(s["completeness"]))} · '
                   f'cibles finales : {e(date_fr(s["target_reached_on"]) if s["target_reached_on"] else "jamais")}</p>')
        out.append(bar_chart(axes, s["maturity"], width=460))
        if s["texts"]:
            out.append(written(s["texts"]))
        if s["gaps"]:
            out.append("<p><b>Écarts</b> : " + ", ".join(
                f"{e(g['criterion'])} ({e(g['label'])}, niveau {e(g['level'])} pour {e(g['due'])} dû"
                + (f" ; plan : {e(' '.join(g['plan']))}" if g["plan"] else " ; <b>sans frein ni action</b>") + ")"
                for g in s["gap_details"]) + "</p>")
        else:
            out.append("<p><b>Écarts</b> : aucun à la date de référence.</p>")
        if s["actions"]:
            out.append("<table><thead><tr><th>Critère</th><th>Action</th><th class=\"num\">Cible</th>"
                       "<th>Échéance</th><th>Porteur</th><th>Statut</th></tr></thead><tbody>")
            for a in s["actions"]:
                comment = (f'<div class="text muted">{e(a["comment"])}</div>' if a["comment"] else "")
                out.append(f"<tr><td>{e(a['criterion'])}</td><td>{e(a['title'])}{shared(a)}{comment}</td>"
                           f"<td class=\"num\">{e(a['target_level'])}</td><td>{e(date_fr(a['due']))}</td>"
                           f"<td>{e(a['owner_label'])}</td><td>{e(a['status_label'])}</td></tr>")
            out.append("</tbody></table>")
        if s["blockers"]:
            out.append("<p><b>Freins</b></p><ul>" + "".join(
                f"<li>{e(b['criterion'])} — {e(b['category_label'])} : <span class=\"text\">{e(b['description'])}"
                f"</span>{shared(b)}</li>" for b in s["blockers"]) + "</ul>")
        if s["notes"]:
            out.append(criterion_notes(s["notes"]))
        out.append("</div>")

    out.append(plan_section(d["plan"]))
    semesters, rows = d["timeline"]["semesters"], d["timeline"]["rows"]
    out.append("<h2>Calendrier du plan</h2><p class=\"muted\">◆ action due dans le semestre · ★ cibles finales "
               "atteintes · █ déjà atteintes</p>")
    out.append('<table class="gantt"><thead><tr><th>Service</th>' + "".join(f"<th>{e(s)}</th>" for s in semesters)
               + "<th>Cible</th></tr></thead><tbody>")
    for r in rows:
        out.append(f'<tr><td class="name">{e(r["name"])}</td>'
                   + "".join(f'<td class="{c}">{TIMELINE[c]}</td>' for c in r["cells"])
                   + f"<td>{e(date_fr(r['reached_on']) if r['reached_on'] else 'jamais')}</td></tr>")
    out.append("</tbody></table>")

    if d["draft"]:
        out.append(f"<h2>Ce qui manque encore ({len(d['missing'])})</h2><ul>"
                   + "".join(f"<li>{e(m)}</li>" for m in d["missing"]) + "</ul>")
    if signer is None:
        out.append("<p class=\"muted\">Produit par convergence-tui (<code>convergence report</code>) depuis le "
                   "fichier de campagne, sans signature.</p>")
    else:
        out.append("<p class=\"muted\">Produit par convergence-tui. Ce rapport accompagne un paquet signé : "
                   "<code>convergence verify</code> en contrôle la signature et recalcule les scores.</p>")
    out.append("</body></html>")
    return ("\n".join(out) + "\n").encode("utf-8")
