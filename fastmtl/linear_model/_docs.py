"""Docstring assembly: the estimators share most parameter and attribute text."""
import re


def fill_doc(template, **fields):
    """Fill ``{name}`` fields of a docstring template (it has other braces)."""
    for name, value in fields.items():
        template = template.replace("{" + name + "}", value)
    return template


def _entries(doc, section):
    """The entries (name -> text block) of a numpydoc section of ``doc``."""
    start = doc.index(f"    {section}\n    {'-' * len(section)}\n")
    body = doc[start:].split("\n", 2)[2]
    end = re.search(r"\n    [A-Z][a-z]+( [A-Z][a-z]+)?\n    -+\n", body)
    body = body[:end.start() + 1] if end else body
    entries = {}
    for block in re.split(r"\n(?=    \S)", body.strip("\n")):
        name = block.strip().split(" :")[0]
        entries[name] = block.rstrip() + "\n"
    return entries


def select_entries(doc, section, names):
    """The ``section`` entries of ``doc`` for ``names``, in that order."""
    entries = _entries(doc, section)
    return "".join(entries[name] for name in names if name in entries)


def with_see_also(doc, entries):
    """``doc`` with a See Also section (``entries``: ``(name, description)``)
    before its Examples, or at its end."""
    import textwrap

    lines = "".join(f"    {name}\n" + textwrap.fill(text, 79, initial_indent=" " * 8,
                                                    subsequent_indent=" " * 8,
                                                    break_on_hyphens=False) + "\n"
                    for name, text in entries)
    block = "    See Also\n    --------\n" + lines
    marker = "    Examples\n    --------\n"
    if marker in doc:
        at = doc.index(marker)
        return doc[:at] + block + "\n" + doc[at:]
    return doc.rstrip() + "\n\n" + block
