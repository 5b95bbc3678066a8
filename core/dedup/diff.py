"""Word-level differences between a kept row and its duplicate, as HTML with <del>/<ins> marks."""

from __future__ import annotations

import difflib
import html
import re

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff_html(kept: str, member: str) -> tuple[str, str]:
    """(kept with removed words in <del>, member with added words in <ins>); whitespace kept as is."""
    kept_tokens, member_tokens = _TOKENS.findall(kept), _TOKENS.findall(member)
    # Compare words only, so a changed run of spaces does not shift the alignment.
    matcher = difflib.SequenceMatcher(a=[t.strip() for t in kept_tokens], b=[t.strip() for t in member_tokens],
                                      autojunk=False)
    left, right = [], []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        old, new = html.escape("".join(kept_tokens[a0:a1])), html.escape("".join(member_tokens[b0:b1]))
        if op == "equal":
            left.append(old)
            right.append(new)
            continue
        if old.strip():
            left.append(f"<del>{old}</del>")
        else:
            left.append(old)
        if new.strip():
            right.append(f"<ins>{new}</ins>")
        else:
            right.append(new)
    return "".join(left), "".join(right)
