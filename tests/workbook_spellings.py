"""The same .xlsx written otherwise than Excel and openpyxl write it, for reader tests: the Strict
namespaces, elements under a prefix, positions left out."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

_TRANSITIONAL_TO_STRICT = {
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main": "http://purl.oclc.org/ooxml/spreadsheetml/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
}


def strict(part: str, xml: str) -> str:
    """ISO/IEC 29500 Strict, as Excel's "Strict Open XML" save writes it: other namespaces."""
    for transitional, strict_namespace in _TRANSITIONAL_TO_STRICT.items():
        xml = xml.replace(transitional, strict_namespace)
    return xml


def prefixed(part: str, xml: str) -> str:
    """Every SpreadsheetML element under an ``x:`` prefix, as .NET's Open XML SDK writes them."""
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    if main not in xml:
        return xml
    xml = xml.replace(main, main.replace("xmlns=", "xmlns:x="))
    return re.sub(r"<(/?)([A-Za-z]+)(?=[ >/])", r"<\1x:\2", xml)


def positions_left_out(part: str, xml: str) -> str:
    """No cell or row says where it is: each is the one after the previous. A row's cells are
    written from column A (openpyxl leaves out the cell a merge covers: an empty one is put in)."""
    if "worksheets/" not in part:
        return xml
    xml = re.sub(r'(<row\b[^>]*>)(<c r="B([0-9]+)")', r'\1<c r="A\3"/>\2', xml)
    return re.sub(r'(<(?:c|row)\b[^>]*?) r="[A-Z]*[0-9]+"', r"\1", xml)


def rewritten(source: Path, target: Path, rewrite) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename.startswith("xl/") and item.filename.endswith(".xml"):
                data = rewrite(item.filename, data.decode()).encode()
            copy.writestr(item, data)
    return target
