"""Z3's reasons for giving up, in words."""

from __future__ import annotations

WORDS = {
    "canceled": "its time ran out (the query timeout, limits.query_timeout, or the engine's max_seconds) "
                "or the run was interrupted",
    "timeout": "its time ran out (limits.query_timeout or max_seconds)",
    "max. memory exceeded": "it ran out of memory",
    "memout": "it ran out of memory",
    "incomplete": "its search is incomplete for this problem",
}


def in_words(reason: object) -> str:
    """``b'canceled'`` / ``"canceled"`` / a Z3Exception -> what it means."""
    if isinstance(reason, Exception) and reason.args:
        reason = reason.args[0]
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    text = text.strip().strip("'\"")
    if text.startswith("b'") and text.endswith("'"):
        text = text[2:-1]
    for key, words in WORDS.items():
        if key in text.lower():
            return words
    return f"Z3 answered unknown ({text or 'no reason given'})"
