"""A Windows Metafile (an Equation Editor preview, most often) → PNG, with libwmf's wmf2gd
when it is installed. Anything it cannot draw (EMF among them) gives None: the caller marks
the picture as left out."""

import gzip
import shutil
import subprocess
import tempfile

WMF_TIMEOUT = 10
EXTENSIONS = (".wmf", ".emf", ".wmz", ".emz")


def png(data: bytes, name: str) -> bytes | None:
    """A Windows Metafile (an Equation Editor preview, most often) → PNG with libwmf's
    wmf2gd; None for what it cannot draw (EMF among them)."""
    if name.endswith((".wmz", ".emz")):
        try:
            data = gzip.decompress(data[: 20 * 1024 * 1024])
        except OSError:
            return None
        name = name[:-1] + "f"
    if not name.endswith(".wmf"):
        return None
    program = shutil.which("wmf2gd")
    if program is None:  # libwmf-bin is not installed: the formula is marked left out
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = f"{folder}/in.wmf"
        target = f"{folder}/out.png"
        with open(source, "wb") as handle:
            handle.write(data)
        try:
            subprocess.run(  # noqa: S603 - fixed program, our own temporary files
                [
                    program,
                    "-t",
                    "png",
                    "--maxwidth=1600",
                    "--maxheight=1200",
                    "-o",
                    target,
                    source,
                ],
                check=True,
                capture_output=True,
                timeout=WMF_TIMEOUT,
            )
            with open(target, "rb") as handle:
                return handle.read()
        except (OSError, subprocess.SubprocessError):
            return None
