"""Which cells are formatted in a legacy Vietnamese font, straight from the workbook's XML.

python-calamine gives values but not fonts. Rather than re-reading a legacy workbook with
openpyxl (several times slower), this reads only what is needed: the fonts and cell formats of
``xl/styles.xml`` and the style index of each cell of each sheet, with expat. The parts have
already passed the zip and DTD guards in :mod:`kc_pipeline.ingest.sniff`.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from xml.parsers import expat

from kc_pipeline.ingest import legacy_fonts

Legacy = tuple[legacy_fonts.LegacyEncoding, bool]  # (encoding, capital font)
_LEGACY_FONT_RX = re.compile(rb'<(?:\w+:)?name\s+val="(\.vn[^"]*|vni[- ][^"]*)"', re.IGNORECASE)
_REF = re.compile(r"([A-Z]+)(\d+)")


def _local(name: str) -> str:
    local = _LOCAL_NAMES.get(name)
    if local is None:
        if len(_LOCAL_NAMES) >= 4096:  # a hostile part may invent any number of element names
            _LOCAL_NAMES.clear()
        local = _LOCAL_NAMES[name] = name.rsplit(":", 1)[-1].rsplit("}", 1)[-1]
    return local


# Qualified element name -> local name: a sheet repeats a handful of names for every cell.
_LOCAL_NAMES: dict[str, str] = {}


def _parse(data: bytes, start: object) -> None:
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.Parse(data, True)


def legacy_styles(styles_xml: bytes) -> dict[int, Legacy]:
    """Cell-format index -> legacy encoding, for the formats whose font is legacy."""
    if not _LEGACY_FONT_RX.search(styles_xml):
        return {}
    fonts: list[str | None] = []
    xfs: list[int] = []
    where: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag in ("fonts", "cellXfs", "cellStyleXfs", "dxfs"):
            where.append(tag)
        elif tag == "font" and where and where[-1] == "fonts":
            fonts.append(None)
        elif tag == "name" and where and where[-1] == "fonts" and fonts:
            fonts[-1] = attrs.get("val")
        elif tag == "xf" and where and where[-1] == "cellXfs":
            xfs.append(int(attrs.get("fontId", "0") or 0))

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: where.pop() if where and _local(name) == where[-1] else None
    parser.Parse(styles_xml, True)
    out: dict[int, Legacy] = {}
    for index, font_id in enumerate(xfs):
        found = legacy_fonts.encoding_for_font(fonts[font_id] if font_id < len(fonts) else None)
        if found is not None:
            out[index] = found
    return out


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip part name, through xl/workbook.xml and its relationships."""
    names: list[tuple[str, str]] = []
    targets: dict[str, str] = {}

    def on_sheet(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            names.append((attrs.get("name", ""), rid))

    def on_rel(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse(archive.read("xl/workbook.xml"), on_sheet)
    _parse(archive.read("xl/_rels/workbook.xml.rels"), on_rel)
    out: dict[str, str] = {}
    for sheet_name, rid in names:
        target = targets.get(rid, "")
        part = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
        out[sheet_name] = part
    return out


def column_index(letters: str) -> int:
    """0-based index of a column's letters (A -> 0, XFD -> 16383)."""
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def legacy_cells(sheet_xml: bytes, styles: dict[int, Legacy]) -> dict[tuple[int, int], Legacy]:
    """(row, col), 0-based -> legacy encoding, for every cell whose format uses a legacy font."""
    out: dict[tuple[int, int], Legacy] = {}
    position = [-1, -1]  # current row and column, for cells written without an "r" attribute

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            position[0] = int(attrs["r"]) - 1 if "r" in attrs else position[0] + 1
            position[1] = -1
        elif tag == "c":
            ref = attrs.get("r")
            match = _REF.fullmatch(ref) if ref else None
            if match:
                position[0], position[1] = int(match.group(2)) - 1, column_index(match.group(1))
            else:
                position[1] += 1
            found = styles.get(int(attrs.get("s", "0") or 0))
            if found is not None:
                out[(position[0], position[1])] = found

    _parse(sheet_xml, start)
    return out
