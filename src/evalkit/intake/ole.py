"""OLE compound files (D0 CF 11 E0): an encrypted .xlsx/.xlsb, or a legacy .xls (BIFF8).

The directory is read with olefile (pure Python, bounded by the file's size). An encrypted
OOXML workbook is an OLE file with EncryptionInfo and EncryptedPackage streams; an .xls
with an open password has a FILEPASS record at the start of its Workbook stream
(``scans.scan_biff``). Passwords are never tried.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class OleContent:
    kind: str  # "encrypted", "xls", "other", "damaged"
    workbook: bytes | None = None  # the BIFF Workbook (or Book) stream of an .xls


def inspect(data: bytes) -> OleContent:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # olefile raises several types for a damaged directory
        return OleContent("damaged")
    try:
        names = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=False)}
        if "encryptioninfo" in names or "encryptedpackage" in names:
            return OleContent("encrypted")
        for name in ("Workbook", "Book"):
            if ole.exists(name):
                try:
                    return OleContent("xls", ole.openstream(name).read())
                except Exception:
                    return OleContent("damaged")
        return OleContent("other")
    finally:
        ole.close()
