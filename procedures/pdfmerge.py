"""Concatenate PDFs into one file with memory that does not grow with the number of files.

pypdf's PdfWriter keeps every page's objects until it writes; for the whole manual that is
hundreds of megabytes. This writer copies each input's pages, and everything they reference,
straight to the output as it reads them, keeping only object offsets and page numbers; so
its memory is that of the largest single input. It adds one bookmark per input (or per
named part) and document information. Inputs' own bookmarks, forms and structure trees are
not carried over (as with pypdf's merge of tagged PDFs).
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)


@dataclass
class Part:
    """One input: a readable binary file, and the bookmark its first page gets ("" for none)."""

    file: BinaryIO
    bookmark: str = ""


class StreamingMerger:
    PAGES, OUTLINES, CATALOG, INFO = 1, 2, 3, 4

    def __init__(self, out: BinaryIO):
        self.out = out
        self.offsets: dict[int, int] = {}
        self.next_id = 5
        self.pages: list[int] = []
        self.bookmarks: list[tuple[str, int]] = []
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)

    def _position(self) -> int:
        return self.out.tell()

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self._position()
        self._write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")

    @staticmethod
    def _serialize(obj) -> bytes:
        buffer = io.BytesIO()
        obj.write_to_stream(buffer)
        return buffer.getvalue()

    def add(self, part: Part) -> int:
        """Copy one PDF's pages to the output; the number of pages it had."""
        reader = PdfReader(part.file)
        mapping: dict[tuple[int, int], int] = {}
        queue: list[tuple[int, int]] = []

        def new_ref(ref: IndirectObject) -> IndirectObject:
            key = (ref.idnum, ref.generation)
            if key not in mapping:
                mapping[key] = self.next_id
                self.next_id += 1
                queue.append(key)
            return IndirectObject(mapping[key], 0, None)

        def remap(obj):
            if isinstance(obj, IndirectObject):
                return new_ref(obj)
            if isinstance(obj, StreamObject):
                copy = StreamObject()
                copy._data = obj._data  # the encoded bytes, as stored (no re-encoding)
                for key, value in obj.items():
                    copy[NameObject(key)] = remap(value)
                return copy
            if isinstance(obj, DictionaryObject):
                copy = DictionaryObject()
                for key, value in obj.items():
                    copy[NameObject(key)] = remap(value)
                return copy
            if isinstance(obj, ArrayObject):
                return ArrayObject(remap(item) for item in obj)
            return obj

        first = len(self.pages)
        # pypdf's pages carry what they inherit from the page tree (resources, media box).
        pages = {
            (page.indirect_reference.idnum, page.indirect_reference.generation): page
            for page in reader.pages
        }
        for key in pages:
            self.pages.append(new_ref(IndirectObject(key[0], key[1], reader)).idnum)
        while queue:
            key = queue.pop()
            if key in pages:
                source = DictionaryObject(
                    (NameObject(k), v)
                    for k, v in pages[key].items()
                    if k not in ("/Parent", "/StructParents", "/Tabs")
                )
                source[NameObject("/Parent")] = IndirectObject(self.PAGES, 0, None)
            else:
                source = reader.get_object(IndirectObject(key[0], key[1], reader))
            self._object(mapping[key], self._serialize(remap(source)))
        if part.bookmark:
            self.bookmarks.append((part.bookmark, self.pages[first]))
        return len(pages)

    def finish(self, info: dict[str, str]) -> int:
        """Write the page tree, bookmarks, catalog, information and cross-reference table."""
        kids = " ".join(f"{n} 0 R" for n in self.pages)
        self._object(
            self.PAGES, f"<< /Type /Pages /Count {len(self.pages)} /Kids [{kids}] >>".encode()
        )
        outline_ids = list(range(self.next_id, self.next_id + len(self.bookmarks)))
        self.next_id += len(self.bookmarks)
        for index, ((title, page), number) in enumerate(
            zip(self.bookmarks, outline_ids, strict=True)
        ):
            fields = [
                f"/Title {self._serialize(TextStringObject(title)).decode('latin-1')}",
                f"/Parent {self.OUTLINES} 0 R",
                f"/Dest [{page} 0 R /Fit]",
            ]
            if index > 0:
                fields.append(f"/Prev {outline_ids[index - 1]} 0 R")
            if index < len(outline_ids) - 1:
                fields.append(f"/Next {outline_ids[index + 1]} 0 R")
            self._object(number, ("<< " + " ".join(fields) + " >>").encode("latin-1"))
        if outline_ids:
            outlines = f"<< /Type /Outlines /First {outline_ids[0]} 0 R /Last {outline_ids[-1]} 0 R /Count {len(outline_ids)} >>"
        else:
            outlines = "<< /Type /Outlines /Count 0 >>"
        self._object(self.OUTLINES, outlines.encode())
        self._object(
            self.CATALOG,
            f"<< /Type /Catalog /Pages {self.PAGES} 0 R /Outlines {self.OUTLINES} 0 R /PageMode /UseOutlines >>".encode(),
        )
        info_entries = " ".join(
            f"/{key} {self._serialize(TextStringObject(value)).decode('latin-1')}"
            for key, value in info.items()
        )
        self._object(self.INFO, f"<< {info_entries} >>".encode("latin-1"))
        xref_at = self._position()
        size = self.next_id
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        for number in range(1, size):
            offset = self.offsets.get(number)
            lines.append(
                f"{offset:010d} 00000 n \n" if offset is not None else "0000000000 65535 f \n"
            )
        self._write("".join(lines).encode())
        self._write(
            f"trailer\n<< /Size {size} /Root {self.CATALOG} 0 R /Info {self.INFO} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
        )
        return len(self.pages)


def merge(parts: Iterable[Part], out: BinaryIO, info: dict[str, str]) -> int:
    """Write `parts` one after the other to `out`; the number of pages written."""
    merger = StreamingMerger(out)
    for part in parts:
        merger.add(part)
    return merger.finish(info)
