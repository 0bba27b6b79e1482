"""Where the typeface of the certificates and the desk's charts lies: DejaVu Serif.

It covers every Vietnamese letter; its licence lies beside the files.
"""

from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"
