"""`national.html`: the national view for people at the ANS. One self-contained French page (the
bundle report's CSS, hand-written SVG charts, no script, nothing fetched), drawn from the national
document (`convergence national --json`) alone, so that the page says exactly what the document says.
Everything that came from a bundle goes through `html.e` (control characters made visible, then
HTML-escaped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..wording import counted, date_fr, datetime_fr
from .format import STATUS_LABELS, STATUS_SHORT, pct
from .html import CSS, e

EXTRA_CSS = """
body { max-width: 76rem; } .wide { overflow-x: auto; } td.draft-mark { color: var(--mid); font-weight: 600; }
.trend { display: flex; flex-wrap: wrap; gap: 1rem; } .trend figure { margin: 0; border: 1px solid var(--line);
border-radius: 6px; padding: .4rem .6rem; } figcaption { font-weight: 600; margin-bottom: .2rem; }
.refused { color: var(--ko); } .legend span { margin-right: 1rem; } .swatch { display: inline-block; width: .8rem;
height: .8rem; margin-right: .3rem; vertical-align: -1px; }
"""
STATUS_COLOURS = {"convergent": "#2e7d4f", "partially_convergent": "#b26a00", "non_convergent": "#b3261e"}
AXIS_COLOURS = ["#2f5f98", "#5b8fc7", "#7a5ea8", "#3d8c84", "#a0622d", "#6b7785"]

TOP_CRITERIA = 15  # the criteria most often in gap nationally the page lists (the workbook: all)


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{e(label)}" viewBox="0 0 {width} {height}">' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", fill: str = "#1d2733") -> str:
    return f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{e(text)}</text>'


def maturity_chart(regions: Sequence[Mapping[str, Any]], axes: Sequence[Mapping[str, Any]]) -> str:
    """Regions side by side: one group of bars per region, one bar per axis and the global figure."""
    keys = [*(a["id"] for a in axes), "global"]
    names = [*(a["label"] for a in axes), "Global"]
    row_h, label_w, bar_w = 12 * len(keys) + 10, 190, 360
    height = 30 + row_h * len(regions)
    body = ['<g class="legend">'] + [
        f'<rect x="{label_w + 120 * i}" y="4" width="10" height="10" fill="{AXIS_COLOURS[i % len(AXIS_COLOURS)]}"/>'
        + _text(label_w + 120 * i + 14, 13, name, size=11) for i, name in enumerate(names)] + ["</g>"]
    for r, region in enumerate(regions):
        y0 = 26 + r * row_h
        figures = region["latest"]["figures"]["maturity"]
        body.append(_text(0, y0 + row_h / 2, region["name"], size=12))
        for i, key in enumerate(keys):
            value = figures.get(key)
            y = y0 + 12 * i
            w = 0 if value is None else round(bar_w * value / 100, 1)
            body.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="10" '
                        f'fill="{AXIS_COLOURS[i % len(AXIS_COLOURS)]}"/>')
            body.append(_text(label_w + w + 4, y + 9, pct(value), size=10))
    return _svg(max(label_w + bar_w + 60, label_w + 120 * len(keys)), height, "Maturité par axe, région par région",
                body)


def status_chart(regions: Sequence[Mapping[str, Any]]) -> str:
    """Each region's services by status, as one stacked bar (shares of its services)."""
    label_w, bar_w, row_h = 190, 420, 22
    body = []
    for r, region in enumerate(regions):
        y = 6 + r * row_h
        counts = region["latest"]["figures"]["status_counts"]
        total = sum(counts.values()) or 1
        body.append(_text(0, y + 13, region["name"]))
        x = float(label_w)
        for key in STATUS_LABELS:
            w = round(bar_w * counts[key] / total, 1)
            if w:
                body.append(f'<rect x="{x}" y="{y}" width="{w}" height="16" fill="{STATUS_COLOURS[key]}"/>')
                if w > 18:
                    body.append(_text(x + w / 2, y + 12, str(counts[key]), size=11, anchor="middle", fill="#ffffff"))
            x += w
    return _svg(label_w + bar_w + 10, 12 + row_h * len(regions), "Statuts des services, région par région", body)


def hbars(rows: Sequence[tuple[str, float, str]], label: str, *, colour: str = "#2f5f98") -> str:
    """Horizontal bars: (label, value, what is written beside the bar), scaled to the largest value."""
    top = max((v for _, v, _ in rows), default=0) or 1
    label_w, bar_w = 240, 330
    body = []
    for i, (name, value, shown) in enumerate(rows):
        y = 4 + 22 * i
        w = round(bar_w * value / top, 1)
        body.append(_text(0, y + 13, name))
        body.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="16" fill="{colour}"/>')
        body.append(_text(label_w + w + 6, y + 13, shown))
    return _svg(label_w + bar_w + 90, 10 + 22 * len(rows), label, body)


def trend_chart(semesters: Sequence[Mapping[str, Any]], axes: Sequence[Mapping[str, Any]]) -> str:
    """A region across its semesters: one line per axis and a thicker one for the global maturity."""
    width, height, left, bottom = 330, 170, 34, 36
    plot_w, plot_h = width - left - 34, height - bottom - 10  # room for the last semester's name
    n = len(semesters)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return round(10 + plot_h * (1 - v / 100), 1)

    body = [f'<line x1="{left}" y1="{y(0)}" x2="{left + plot_w}" y2="{y(0)}" stroke="#d5dbe1"/>',
            f'<line x1="{left}" y1="{y(50)}" x2="{left + plot_w}" y2="{y(50)}" stroke="#eef1f4"/>',
            _text(left - 4, y(0) + 4, "0", size=10, anchor="end"), _text(left - 4, y(50) + 4, "50", size=10,
                                                                         anchor="end"),
            _text(left - 4, y(100) + 4, "100", size=10, anchor="end")]
    for i, key in enumerate([*(a["id"] for a in axes), "global"]):
        points = [(x(j), y(v)) for j, s in enumerate(semesters)
                  if (v := s["figures"]["maturity"].get(key)) is not None]
        colour = "#1d2733" if key == "global" else AXIS_COLOURS[i % len(AXIS_COLOURS)]
        stroke = 2.5 if key == "global" else 1.2
        if len(points) > 1:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{stroke}" points="'
                        + " ".join(f"{px},{py}" for px, py in points) + '"/>')
        body += [f'<circle cx="{px}" cy="{py}" r="{stroke + 0.5}" fill="{colour}"/>' for px, py in points]
    step = max(1, (n + 5) // 6)  # at most about six semester names under the axis
    body += [_text(x(j), height - bottom + 16, s["semester"], size=10, anchor="middle")
             for j, s in enumerate(semesters) if (n - 1 - j) % step == 0]  # the latest always named
    return _svg(width, height, "Évolution de la maturité", body)


def _nature(semester: Mapping[str, Any]) -> str:
    return '<td class="draft-mark">brouillon</td>' if semester["draft"] else "<td>définitif</td>"


def _side_by_side(regions: Sequence[Mapping[str, Any]], axes: Sequence[Mapping[str, Any]]) -> list[str]:
    out = ['<h2>Les régions côte à côte</h2><p class="muted">Le dernier semestre de chaque région ; chaque chiffre '
           "est celui du <code>scores.json</code> de son paquet, recalculé à la vérification.</p>",
           '<div class="wide"><table><thead><tr><th>Région</th><th>Semestre</th><th>Nature</th>'
           '<th class="num">Services</th>'
           + "".join(f'<th class="num">{e(STATUS_SHORT[k])}</th>' for k in STATUS_LABELS)
           + '<th class="num">Complétude</th>' + "".join(f'<th class="num">{e(a["label"])}</th>' for a in axes)
           + '<th class="num">Global</th></tr></thead><tbody>']
    for region in regions:
        s = region["latest"]
        f = s["figures"]
        out.append(f'<tr><td>{e(region["name"])} ({e(region["region"])})</td><td>{e(s["semester"])}</td>{_nature(s)}'
                   f'<td class="num">{s["services"]}</td>'
                   + "".join(f'<td class="num {k}">{f["status_counts"][k]}</td>' for k in STATUS_LABELS)
                   + f'<td class="num">{e(pct(f["completeness"]))}</td>'
                   + "".join(f'<td class="num">{e(pct(f["maturity"].get(a["id"])))}</td>' for a in axes)
                   + f'<td class="num">{e(pct(f["maturity"].get("global")))}</td></tr>')
    out.append("</tbody></table></div>")
    out.append("<h3>Maturité par axe</h3>" + maturity_chart(regions, axes))
    out.append('<h3>Statuts des services</h3><p class="legend">' + "".join(
        f'<span><span class="swatch" style="background:{STATUS_COLOURS[k]}"></span>{e(STATUS_LABELS[k])}</span>'
        for k in STATUS_LABELS) + "</p>" + status_chart(regions))
    return out


def _gaps(criteria: Sequence[Mapping[str, Any]], top: int) -> list[str]:
    shown = criteria[:top]
    out = ["<h2>Les critères le plus souvent en écart</h2>",
           '<p class="muted">Sur le dernier semestre de chaque région : les services en écart (niveau dû non atteint) '
           "pour chaque critère, comparés par identifiant d'un questionnaire à l'autre ; un critère n'est compté que "
           "dans les paquets dont le questionnaire l'a.</p>"]
    if not shown:
        return [*out, "<p>Aucun écart.</p>"]
    out.append(hbars([(f"{c['criterion']} ({c['axis']})", c["gaps"], counted(c["gaps"], "service"))
                      for c in shown], "Critères le plus souvent en écart", colour="#b3261e"))
    out.append("<table><thead><tr><th>Critère</th><th>Libellé</th><th class=\"num\">Services en écart</th>"
               '<th class="num">Services où il est dû</th><th class="num">Régions en écart</th></tr></thead><tbody>')
    out += [f"<tr><td>{e(c['criterion'])}</td><td>{e(c['label'])}</td><td class=\"num\">{c['gaps']}</td>"
            f"<td class=\"num\">{c['due']}</td><td class=\"num\">{c['regions']}</td></tr>" for c in shown]
    out.append("</tbody></table>")
    if len(criteria) > top:
        out.append(f'<p class="muted">… et {counted(len(criteria) - top, "autre critère")} en écart (national.xlsx, '
                   "feuille « Écarts nationaux », les donne tous).</p>")
    return out


def _blockers(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    by_category = [(b["label"], b["count"], str(b["count"])) for b in doc["blockers_by_category"]]
    out = ["<h2>Freins par origine</h2>", hbars(by_category, "Freins par origine")]
    todo = doc["national_todo"]
    out.append(f"<h2>À faire au niveau national ({len(todo)})</h2><p class=\"muted\">Les freins d'origine NATIONAL et "
               "les actions que le niveau national porte, au dernier semestre de chaque région : la liste de travail "
               "de l'ANS.</p>")
    if todo:
        out.append("<table><thead><tr><th>Région</th><th>Sorte</th><th>Texte</th><th>Statut</th><th>Échéance</th>"
                   '<th class="num">Écarts couverts</th></tr></thead><tbody>')
        out += [f"<tr><td>{e(names.get(t['region'], t['region']))} · {e(t['semester'])}</td><td>{e(t['kind_label'])} "
                f"{e(t['id'])}</td><td class=\"text\">{e(t['text'])}</td><td>{e(t['status_label'])}</td>"
                f"<td>{e(date_fr(t['due']) if t['due'] else '')}</td><td class=\"num\">{t['gaps']}</td></tr>"
                for t in todo]
        out.append("</tbody></table>")
    else:
        out.append("<p>Aucun frein national ni action nationale.</p>")
    return out


def _trends(doc: Mapping[str, Any]) -> list[str]:
    axes = doc["axes"]
    out = ["<h2>L'évolution de chaque région</h2>", '<p class="legend">' + "".join(
        f'<span><span class="swatch" style="background:{AXIS_COLOURS[i % len(AXIS_COLOURS)]}"></span>{e(a["label"])}'
        "</span>" for i, a in enumerate(axes)) + '<span><span class="swatch" style="background:#1d2733"></span>'
        "Global</span></p>", '<div class="trend">']
    for region in doc["regions"]:
        semesters = region["semesters"]
        rows = "".join(f"<tr><td>{e(s['semester'])}{' (brouillon)' if s['draft'] else ''}</td>"
                       f"<td class=\"num\">{e(pct(s['figures']['maturity'].get('global')))}</td>"
                       f"<td class=\"num\">{e(pct(s['figures']['completeness']))}</td></tr>" for s in semesters)
        out.append(f"<figure><figcaption>{e(region['name'])} ({e(region['region'])})</figcaption>"
                   f"{trend_chart(semesters, axes)}<table><thead><tr><th>Semestre</th><th class=\"num\">Global</th>"
                   f'<th class="num">Complétude</th></tr></thead><tbody>{rows}</tbody></table></figure>')
    out.append("</div>")
    return out


def _bundles(doc: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    out = ["<h2>Paquets</h2>"]
    if doc["rejected"]:
        out.append(f'<h3 class="refused">Refusés ({len(doc["rejected"])})</h3><ul>' + "".join(
            f'<li class="text">{e(r["reason"])}</li>'
            for r in doc["rejected"]) + "</ul>")
    if doc["superseded"]:
        out.append(f"<h3>Remplacés par un paquet plus récent ou définitif ({len(doc['superseded'])})</h3><ul>"
                   + "".join(
            f"<li><code>{e(s['bundle'])}</code> ({e(names.get(s['region'], s['region']))}, {e(s['semester'])}, "
            f"{'brouillon' if s['draft'] else 'définitif'} du {e(datetime_fr(s['created_at']))}) : remplacé par "
            f"<code>{e(s['replaced_by'])}</code></li>" for s in doc["superseded"]) + "</ul>")
    kept = [(region, s) for region in doc["regions"] for s in region["semesters"]]
    out.append(f"<h3>Retenus ({len(kept)})</h3><table><thead><tr><th>Région</th><th>Semestre</th><th>Nature</th>"
               "<th>Signé par (d'après le certificat)</th><th>Questionnaire</th><th>Créé le</th><th>Paquet</th>"
               "</tr></thead><tbody>")
    out += [f"<tr><td>{e(region['name'])}</td><td>{e(s['semester'])}</td>{_nature(s)}<td>{e(s['signer'])}"
            f"{'' if s['trusted'] else ' <b>(NON authentifié)</b>'}</td><td>{e(s['referentiel']['version'])}</td>"
            f"<td>{e(datetime_fr(s['created_at']))}</td><td><code>{e(s['bundle'])}</code></td></tr>"
            for region, s in kept]
    out.append("</tbody></table>")
    return out


def render(doc: Mapping[str, Any]) -> bytes:
    names = {r["region"]: r["name"] for r in doc["regions"]}
    regions = [{**r, "latest": r["semesters"][-1]} for r in doc["regions"]]
    kept = sum(len(r["semesters"]) for r in doc["regions"])
    untrusted = sum(not s["trusted"] for r in doc["regions"] for s in r["semesters"])
    versions = sorted({s["referentiel"]["version"] for r in doc["regions"] for s in r["semesters"]})
    out = ["<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
           "<title>Convergence — vue nationale</title>", f"<style>{CSS}{EXTRA_CSS}</style></head><body>",
           "<h1>Convergence — vue nationale</h1>",
           f'<p class="muted">{e(counted(len(regions), "région"))} · '
           f'{e(counted(kept, "paquet retenu", "paquets retenus"))} · {e(counted(len(doc["superseded"]), "remplacé"))}'
           f" · {e(counted(len(doc['rejected']), 'refusé'))} · questionnaire(s) {e(', '.join(versions))}</p>"]
    if doc["rejected"]:
        out.append(f'<div class="draft refused">{e(counted(len(doc["rejected"]), "paquet refusé", "paquets refusés"))} '
                   "à la vérification : ils ne sont pas consolidés (motifs en fin de page).</div>")
    if untrusted:
        out.append(f'<div class="draft">{e(counted(untrusted, "paquet"))} dont le signataire n\'est PAS authentifié '
                   "(aucun certificat de confiance donné, --trust) : leur intégrité est prouvée, pas leur "
                   "auteur.</div>")
    out += _side_by_side(regions, doc["axes"]) if regions else ["<p>Aucun paquet retenu.</p>"]
    out += _gaps(doc["criteria_in_gap"], TOP_CRITERIA)
    out += _blockers(doc, names)
    out += _trends(doc)
    out += _bundles(doc, names)
    out.append('<p class="muted">Produit par convergence-tui (<code>convergence national</code>) à partir de paquets '
               "régionaux vérifiés (signature, empreintes, questionnaire, affirmations, scores recalculés).</p>")
    out.append("</body></html>")
    return ("\n".join(out) + "\n").encode("utf-8")
