"""Which encoding a text input is in, or a clear refusal naming the encodings tried.

UTF-8 (with or without BOM) and UTF-16 or UTF-32 with a BOM are decided by a strict decode: they cannot be
mistaken. Anything else is a legacy code page, and a strict decode is not enough there: GB18030
decodes almost any byte string, so Big5 text read as GB18030 gives garbage rows without an error.
charset-normalizer judges how readable each candidate's text is ("chaos"); GB18030 is kept
whenever it reads cleanly (real 预算 exports are GBK), else the cleanest other candidate, else
the file is refused. Text in which every byte above ASCII stands alone and reads as a Western
letter or sign in Windows-1252 is read in it first: no Chinese text is like that, and the Chinese
judge read a short such file (Café) as garbage. UTF-16 without a BOM (NUL bytes every other byte)
is one of the candidates, so it is not called binary; nor is UTF-8 with a NUL character near the
top (a NUL further on was already read as a character, as it is in a cell).

UTF-8 text with some lines that are not (a row pasted from a GBK export, a download cut in the
middle of a character) is still UTF-8: :func:`text_encoding` opens it so that each such line can
be refused alone by the readers that read line by line (it was refused whole, as "garbled").
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from charset_normalizer import from_bytes

from nlp.readers.base import InputError

#: Legacy encodings tried, in order of preference, when a file is not UTF-8.
LEGACY_ENCODINGS = ("gb18030", "big5")
#: Tried first when no two bytes above ASCII stand together, which no Chinese text does: an
#: English-headed table with a Western European name (Café, Société) in the Windows ANSI code page.
WESTERN_ENCODING = "cp1252"
#: Tried when the text has NUL bytes but no byte-order mark.
UTF16_ENCODINGS = ("utf_16_le", "utf_16_be")
#: charset-normalizer's chaos above which decoded text counts as garbage (its own default).
MAX_CHAOS = 0.2
_HEAD_BYTES = 64 * 1024
_BLOCK = 1 << 20
#: Characters of three UTF-8 bytes (every Chinese one) the valid UTF-8 start of a file must have to
#: be taken for UTF-8: a GBK or Big5 character may happen to be a valid two-byte one, hardly a three.
UTF8_EVIDENCE = 2
_THREE_BYTE_LEADS = tuple(bytes([lead]) for lead in range(0xE0, 0xF0))
#: Control bytes no text file holds (all but NUL, tab, line ends, form feed -- a page break in a PDF's
#: text export -- and escape).
_BINARY_CONTROLS = re.compile(rb"[\x01-\x08\x0b\x0e-\x1a\x1c-\x1f]")
#: What a byte that is not UTF-8 reads as under ``errors="surrogateescape"``.
_UNDECODED = re.compile("[\udc80-\udcff]")
#: The reason a line with such a byte is not read.
NOT_UTF8 = "not valid UTF-8 (a line in another encoding, or the file cut short?); row not read"
_TRIED = ", ".join(name.upper().replace("_", "-") for name in ("utf_8", *LEGACY_ENCODINGS, WESTERN_ENCODING,
                                                                 *UTF16_ENCODINGS))
#: Two bytes above ASCII side by side: a GBK or Big5 character (both of its bytes, for most).
_HIGH_PAIR = re.compile(rb"[\x80-\xff]{2}")
#: What Western European text holds beside letters, in Windows-1252 (Word's quotes and dashes, €).
_WESTERN_SIGNS = frozenset("\xa0€‚„…‘’“”•–—«»")


class DamagedUtf8(InputError):
    """UTF-8 text with bytes further on that are not UTF-8; see :func:`text_encoding`."""


def text_encoding(path: Path) -> tuple[str, str]:
    """``(encoding, errors)`` to open ``path`` with: ``errors`` is ``"surrogateescape"`` for UTF-8
    with some lines that are not, whose bytes then read as :func:`undecodable` text."""
    try:
        return detect_encoding(path), "strict"
    except DamagedUtf8:
        return "utf-8-sig", "surrogateescape"


def undecodable(text: str) -> bool:
    """``text`` holds a byte that was not UTF-8 (read with ``errors="surrogateescape"``)."""
    return _UNDECODED.search(text) is not None


def detect_encoding(path: Path) -> str:
    """The encoding to read ``path`` with; :class:`InputError` for empty, binary or garbled files."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head:
        raise InputError(str(path), "empty file")
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # first: FF FE 00 00 starts UTF-16's BOM too,
        return _checked(path, "utf-32")  # and read as UTF-16 every other character was a NUL ("no indicator columns")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        return _checked(path, "utf-16")
    if b"\x00" in head:  # no text but UTF-16 has NUL bytes, or UTF-8 with a NUL character in a cell
        encoding = _most_readable(head[: len(head) & ~1], UTF16_ENCODINGS)
        if encoding is not None and _decodes(path, encoding):
            return encoding
        if _nul_in_text(head) and _decodes(path, "utf-8-sig"):
            return "utf-8-sig"
        raise InputError(str(path), f"binary file: not CSV/TSV text (tried {_TRIED})")
    if _decodes(path, "utf-8-sig"):
        return "utf-8-sig"
    if _starts_as_utf8(head):
        raise DamagedUtf8(str(path), f"not valid UTF-8 from line {_first_bad_line(path)} on (a line in another "
                                     "encoding, or the file cut short?); save it as UTF-8 and retry")
    if _reads_as_western(head) and _single_byte_text(path) and _decodes(path, WESTERN_ENCODING):
        return WESTERN_ENCODING
    encoding = _most_readable(_whole_lines(head), LEGACY_ENCODINGS)
    if encoding is None:
        raise InputError(str(path), f"text is garbled in every encoding tried ({_TRIED}); save it as UTF-8 and retry")
    return _checked(path, encoding)


def _nul_in_text(head: bytes) -> bool:
    """``head``'s NUL bytes are characters in a text (a NUL pasted into a cell), not a binary
    file's: they are few, and no other control character but tab and line ends is among them
    (binary formats are full of both), or the text is Chinese UTF-8 (this tool's CSV output keeps
    a cell's control characters: one with a NUL and an ESC was refused whole when read again)."""
    return head.count(b"\x00") * 2 < len(head) and (not _BINARY_CONTROLS.search(head) or _starts_as_utf8(head))


def _starts_as_utf8(head: bytes) -> bool:
    """The text before ``head``'s first byte that is not UTF-8 has :data:`UTF8_EVIDENCE` Chinese
    characters or more: then the file is UTF-8 and that byte a damage. (Before, such a file went to
    the GBK/Big5 judge, which refused it as garbled, or read a small one as GB18030 mojibake.)"""
    try:
        head.decode("utf-8")
        valid = head
    except UnicodeDecodeError as error:
        valid = head[: error.start]
    return sum(map(valid.count, _THREE_BYTE_LEADS)) >= UTF8_EVIDENCE


def _first_bad_line(path: Path) -> int:
    """The line of ``path``'s first byte that is not UTF-8 (the last line when it is cut short)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    line = 1
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return line + block[: error.start].count(b"\n")
            line += block.count(b"\n")
    return line


def _most_readable(head: bytes, encodings: tuple[str, ...]) -> str | None:
    """The first of ``encodings`` that reads cleanly (GB18030 first: real exports are GBK), else
    the most readable one, else ``None``."""
    chaos = {match.encoding: match.chaos for match in
             from_bytes(head, cp_isolation=list(encodings), threshold=MAX_CHAOS)}
    if encodings[0] in chaos:
        return encodings[0]
    return min(chaos, key=chaos.__getitem__) if chaos else None


def _whole_lines(head: bytes) -> bytes:
    """The head cut after its last line break, so no character is split at the cut."""
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head


def _checked(path: Path, encoding: str) -> str:
    if not _decodes(path, encoding):
        raise InputError(str(path), f"not valid {encoding.upper()} text further on (tried {_TRIED}); "
                                    "save it as UTF-8 and retry")
    return encoding


def _reads_as_western(head: bytes) -> bool:
    """Every character of ``head`` above ASCII, read as Windows-1252, is a letter (é, ü, ñ) or a sign
    of :data:`_WESTERN_SIGNS`. A Big5 character whose second byte is ASCII (是 is AC 4F, 年 A6 7E) has
    its first byte alone, but reads as a sign (¬O, ¦~): such a file is left to the Chinese judge."""
    text = head.decode(WESTERN_ENCODING, errors="replace")
    return all(char.isalpha() or char in _WESTERN_SIGNS for char in text if char > "\x7f")


def _single_byte_text(path: Path) -> bool:
    """No two bytes above ASCII stand together in ``path``: every character not ASCII is one byte,
    as in Western European text (é in Café), never in Chinese, where most characters are two such
    bytes. GB18030 and Big5, the only legacy encodings tried before, read a short such file as
    Chinese garbage (Café as Caf + a character made of é and the next byte) and refused a longer
    one as garbled."""
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            if _HIGH_PAIR.search(last + block):
                return False
            last = block[-1:]
    return True


def _decodes(path: Path, encoding: str) -> bool:
    """A strict decode of the whole file, in blocks so memory stays constant."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
