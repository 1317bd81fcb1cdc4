"""Cells of files meant for people, who open them in a spreadsheet.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some,
one that begins with a tab or a carriage return) as a formula: ``=cmd|' /C calc'!A0``
typed into a ticket subject would run a program on the reader's machine, and
``=HYPERLINK(...)`` would send them somewhere. Following OWASP's advice on CSV
injection (https://owasp.org/www-community/attacks/CSV_Injection), every download meant
for people passes its cells through ``spreadsheet_safe``. The data-exchange files of
``export_data`` do not: they are the exact machine format ``import_data`` reads back.
"""

from __future__ import annotations

import re

#: What a cell may begin with to be read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def spreadsheet_safe(cell: str) -> str:
    """Return ``cell`` with a ``'`` in front when a spreadsheet would read it as a formula.

    A plain number (``-5.00``, ``+3``, ``-0.5``: an optional sign, digits and at most one
    decimal point, nothing else) is left as it is, whatever column it is in: prefixing it
    would turn a money or hours column into text that the spreadsheet no longer adds up,
    and a plain number runs nothing. Anything else that begins with a formula character
    (``-5+cmd|...``, ``@SUM(A1)``, ``=1+1``) gets the ``'``, which spreadsheets show as
    the text it was and do not keep in the value.
    """
    if cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
