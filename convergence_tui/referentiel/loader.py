"""Read and validate a questionnaire file; every error is located and in French."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ListedError, UserError, counted, os_reason
from .checks import check
from .models import Referentiel, ReferentielFile

if TYPE_CHECKING:  # pydantic is imported only to check a file (see parse)
    from pydantic import TypeAdapter
    from pydantic_core import ErrorDetails

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: KeyPath
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        key = format_path(self.path)
        return f"{where}: {key + ' : ' if key else ''}{self.message}"


class ReferentielError(ListedError):
    def __init__(self, file: str, problems: list[Problem]) -> None:
        super().__init__(f"{file} : {counted(len(problems), 'erreur')} dans le questionnaire ; corrigez-les puis "
                         "relancez « convergence referentiel check ».", problems, [str(p) for p in problems])


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def default_path() -> Path:
    """The bundled questionnaire: inside the wheel, or at the root of a checkout."""
    # The package is installed as files (pip unpacks wheels): no importlib.resources at start-up.
    here = Path(__file__).resolve().parents[1]
    packaged = here / "referentiel.toml"
    return packaged if packaged.is_file() else here.parent / "referentiel.toml"


def load(path: Path | str | None = None) -> Referentiel:
    path = Path(path) if path is not None else default_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} : fichier introuvable ; vérifiez le chemin du questionnaire.") from None
    except OSError as exc:
        raise UserError(f"{path} : lecture impossible ({os_reason(exc)}) ; vérifiez les droits du fichier.") from None
    return parse(data, str(path))


# Far above any questionnaire (the bundled one is ~60 KB), checked before parsing.
MAX_REFERENTIEL_BYTES = 4 * 1024 * 1024


def parse(data: bytes, filename: str = "referentiel.toml") -> Referentiel:
    """A checked questionnaire. A file already checked by this version of the checks comes from the
    user's cache, without pydantic or TOML parsing (start-up time); any other is checked in full."""
    if len(data) > MAX_REFERENTIEL_BYTES:
        raise ReferentielError(filename, [Problem(filename, None, (), (
            f"{len(data) // 1024} Kio : bien plus qu'un questionnaire (au plus {MAX_REFERENTIEL_BYTES // 1024} "
            "Kio) ; vérifiez le fichier"))])
    digest = hashlib.sha256(data).hexdigest()
    cached = _from_cache(digest)
    if cached is not None:
        return cached
    ref = _check_file(data, filename, digest)
    _to_cache(digest, ref)
    return ref


def _check_file(data: bytes, filename: str, digest: str) -> Referentiel:
    from pydantic import TypeAdapter, ValidationError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReferentielError(
            filename, [Problem(filename, None, (),
                               f"le fichier n'est pas en UTF-8 (octet {exc.start}) ; enregistrez-le en UTF-8")]
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        detail = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        col = f", colonne {m.group(2)}" if m else ""
        raise ReferentielError(
            filename, [Problem(filename, line, (), f"syntaxe TOML invalide{col} ({detail})")]
        ) from None
    except RecursionError:
        raise ReferentielError(filename, [Problem(filename, None, (), (
            "tableaux ou tables imbriqués sur des centaines de niveaux ; un questionnaire en a moins de "
            "cinq : fichier refusé"))]) from None
    except (ValueError, OverflowError):  # an integer beyond Python's conversion limit
        raise ReferentielError(filename, [Problem(filename, None, (), (
            "nombre démesuré (des milliers de chiffres) : fichier refusé"))]) from None
    lines = locate_lines(text)
    _rename_in(raw)
    try:
        shape = TypeAdapter(ReferentielFile).validate_python(raw)
    except ValidationError as exc:
        problems = [
            Problem(filename, _line_for(lines, tuple(e["loc"])), tuple(e["loc"]), french(e))
            for e in exc.errors()
        ]
        partial = _partial(raw)
        if partial is not None:
            problems += [Problem(filename, _line_for(lines, p), p, msg) for p, msg in check(partial)]
        raise ReferentielError(filename, sorted(problems, key=lambda p: (p.line or 0))) from None
    problems = [Problem(filename, _line_for(lines, p), p, msg) for p, msg in check(shape)]
    if problems:
        raise ReferentielError(filename, problems)
    fields = {f.name: getattr(shape, f.name) for f in dataclasses.fields(shape)}
    return Referentiel(**fields, sha256=digest, source_text=text)


def _rename_in(raw: dict[str, Any]) -> None:
    """`in` (a condition's key) is a Python keyword: the models call it `in_`."""
    for section in raw.get("sections", []) if isinstance(raw.get("sections"), list) else []:
        for q in section.get("questions", []) if isinstance(section, dict) and isinstance(
                section.get("questions"), list) else []:
            cond = q.get("visible_if") if isinstance(q, dict) else None
            if isinstance(cond, dict) and "in" in cond:
                cond["in_"] = cond.pop("in")


def _partial(raw: dict[str, Any]) -> ReferentielFile | None:
    """The file with each malformed list element replaced by None, for cross-reference checks.

    None when a single table the checks need (scale, thresholds…) is itself malformed.
    """
    from typing import get_args, get_type_hints

    from pydantic import TypeAdapter, ValidationError

    parts: dict[str, Any] = {}
    for name, hint in get_type_hints(ReferentielFile).items():
        model = (get_args(hint) or (hint,))[0]
        adapter = TypeAdapter(model)

        def valid(value: Any, adapter: TypeAdapter[Any] = adapter) -> Any:
            try:
                return adapter.validate_python(value)
            except ValidationError:
                return None

        value = raw.get(name)
        if isinstance(value, list):
            parts[name] = [valid(v) for v in value]
        else:
            parts[name] = valid(value)
            if parts[name] is None:
                return None
    return ReferentielFile(**parts)


# --- the cache of checked questionnaires ------------------------------------------


@cache
def _checks_version() -> str:
    """Changes whenever the code that checks a questionnaire changes."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("models.py", "checks.py", "loader.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def _cache_file(digest: str) -> Path:
    from ..paths import cache_dir

    return cache_dir() / "referentiels" / f"{digest}-{_checks_version()}.pickle"


def _from_cache(digest: str) -> Referentiel | None:
    try:
        blob = _cache_file(digest).read_bytes()
        ref = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - no cache, an old one, or a broken one: check the file again
        return None
    return ref if isinstance(ref, Referentiel) and ref.sha256 == digest else None


def _to_cache(digest: str, ref: Referentiel) -> None:
    target = _cache_file(digest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(ref, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(target)
        for stale in target.parent.glob("*.pickle"):  # entries of earlier versions of the checks
            if not stale.name.endswith(f"-{_checks_version()}.pickle"):
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a cache is a convenience: without it, the next start checks the file again


_FRENCH = {
    "extra_forbidden": "clé inconnue : retirez-la ou corrigez son nom (faute de frappe ?)",
    "unexpected_keyword_argument": "clé inconnue : retirez-la ou corrigez son nom (faute de frappe ?)",
    "missing": "clé obligatoire manquante",
    "missing_argument": "clé obligatoire manquante",
    "dataclass_type": "une table est attendue",
    "dataclass_args_type": "une table est attendue",
    "int_type": "un nombre entier est attendu",
    "int_parsing": "un nombre entier est attendu",
    "int_from_float": "un nombre entier est attendu",
    "int_parsing_size": "nombre entier démesuré",
    "finite_number": "nombre démesuré ou indéfini (inf, nan)",
    "float_type": "un nombre est attendu",
    "float_parsing": "un nombre est attendu",
    "bool_type": "true ou false est attendu",
    "bool_parsing": "true ou false est attendu",
    "string_type": "un texte entre guillemets est attendu",
    "list_type": "une liste [ … ] est attendue",
    "dict_type": "une table est attendue",
    "model_type": "une table est attendue",
    "date_type": "une date AAAA-MM-JJ est attendue",
    "date_parsing": "une date AAAA-MM-JJ est attendue",
    "date_from_datetime_inexact": "une date sans heure est attendue",
}


def french(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " ou ")
        return f"valeur « {error.get('input')} » non permise ; valeurs possibles : {expected}"
    if kind == "string_pattern_mismatch":
        return f"identifiant « {error.get('input')} » mal formé (motif attendu : {ctx.get('pattern', '')})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = ctx.get("ge", ctx.get("le", ctx.get("gt", ctx.get("lt"))))
        sign = {"greater_than_equal": "≥", "less_than_equal": "≤", "greater_than": ">", "less_than": "<"}[kind]
        return f"valeur {error.get('input')} hors bornes : elle doit être {sign} {bound}"
    if kind == "string_too_short":
        return "texte vide : donnez une valeur"
    if kind == "too_short":
        return "liste vide : donnez au moins un élément (ou null s'il n'est pas encore choisi)"
    if kind == "union_tag_invalid" or (kind.endswith("_type") and kind not in _FRENCH):
        return f"type de valeur incorrect ({error.get('msg')})"
    return _FRENCH.get(kind, f"valeur invalide ({error.get('msg')})")


# --- where a key path sits in the file -------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"]+(?:\s*\.\s*[A-Za-z0-9_\-\"]+)*)\s*=")


def locate_lines(text: str) -> dict[KeyPath, int]:
    """Best-effort map from key paths to line numbers.

    tomllib gives no positions once a file parses, so we follow table headers
    and keys line by line; multi-line strings are skipped.
    """
    found: dict[KeyPath, int] = {}
    counts: dict[KeyPath, int] = {}  # array-of-tables path -> number of elements seen
    arrays: set[str] = set()
    current: KeyPath = ()
    in_multiline: str | None = None
    # TOML's lines end at \n only: splitlines() would also cut at U+2028 and shift every number after it.
    for lineno, line in enumerate(text.split("\n"), 1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header:
            names = [n.strip().strip('"') for n in header.group(2).split(".")]
            path: KeyPath = ()
            for i, name in enumerate(names[:-1]):
                path += (name,)
                if ".".join(names[: i + 1]) in arrays:
                    path += (counts.get(path, 1) - 1,)
            path += (names[-1],)
            if header.group(1) == "[[":
                arrays.add(".".join(names))
                idx = counts.get(path, 0)
                counts[path] = idx + 1
                path += (idx,)
            current = path
            found.setdefault(path, lineno)
            continue
        key = _KEY.match(line)
        if key:
            parts = tuple(k.strip().strip('"') for k in key.group(1).split("."))
            found.setdefault(current + parts, lineno)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_multiline = quote
    return found


def _line_for(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    # `in` is an alias in the models; errors may report it as `in_`.
    path = tuple("in" if p == "in_" else p for p in path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None
