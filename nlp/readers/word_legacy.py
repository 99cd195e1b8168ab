"""Word 97-2003 .doc documents, converted to .docx by LibreOffice when it is installed.

No maintained Python library reads .doc tables with their merged cells; LibreOffice's own
converter does, so ``soffice --headless --convert-to docx`` runs into a temporary folder and
:mod:`nlp.readers.word` reads the result. Rows still name the .doc. Without ``soffice`` the file
gets one line saying how to convert it.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from nlp.readers.base import InputError
from nlp.readers.tabular import FileRead
from nlp.readers.word import read_docx

CONVERT_SECONDS = 180
NO_LIBREOFFICE = ("Word 97-2003 document (.doc) needs LibreOffice to be read: install it "
                  "(apt-get install libreoffice-writer-nogui) or save the file as .docx and retry")


def read_doc(path: Path, chunk_size: int | None) -> FileRead:
    """The indicator tables of a .doc, read from its LibreOffice conversion."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise InputError(str(path), NO_LIBREOFFICE)
    with tempfile.TemporaryDirectory(prefix="iqc-doc-") as tmp:
        folder = Path(tmp)
        # A profile of its own: a running LibreOffice or a parallel conversion would lock the default one.
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   "--convert-to", "docx", "--outdir", str(folder), str(path.resolve())]
        try:
            subprocess.run(command, capture_output=True, timeout=CONVERT_SECONDS, check=False)
        except subprocess.TimeoutExpired as error:
            raise InputError(str(path), f"LibreOffice did not convert it within {CONVERT_SECONDS} s") from error
        converted = folder / f"{path.stem}.docx"
        if not converted.is_file():
            raise InputError(str(path), "LibreOffice could not convert it to .docx (not a Word document?)")
        return read_docx(converted, chunk_size, source=path)
