"""Refusals and boilerplate: a 0..1 score per response, and a dataset-wide "same answer to many prompts" step.

The score adds up weighted evidence instead of firing on one regex: an explicit refusal ("I'm sorry,
but I can't help with that") weighs most, and more at the start of the answer than deep inside it;
AI-disclaimer boilerplate ("As an AI language model…"), moralizing openers ("It is not appropriate
to…"), apologies and redirections ("Instead, I suggest…") add less. Evidence combines as
1 - prod(1 - w). An answer that is mostly refusal (short, no content after it) scores near 1; a
hedged answer that goes on to deliver content (a list, code, many sentences) is damped, so it lands
in the middle: that is what a partial refusal looks like.

Repeated identical responses need the whole dataset, so they are a global step (`repeated_response`,
a Deduplicator): per batch it hashes each normalized response; `resolve` finds responses given to
at least `min_prompts` different prompts and drops all but `keep_copies` of them, with the first
kept row as the ledger's twin. A per-batch count column would be wrong as soon as the data spans
two batches.
"""

from __future__ import annotations

import hashlib
import re
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.schema import role_texts
from core.steps import ColumnSpec, Deduplicator, DedupResult, Metric, register

_CANT = r"(?:can ?not|can't|won't|will not|am unable to|'m unable to|am not able to|'m not able to|must decline to|must refuse to|do not feel comfortable|don't feel comfortable)"
_HELP_VERBS = (r"(?:help|assist|provide|fulfill|comply|answer|create|write|support|give|generate|share|engage|"
               r"encourage|recommend|offer|complete|participate|discuss|promote|condone|suggest|advise|endorse|"
               r"do that|do this|tell|explain|describe|make|facilitate|access|browse|disclose|reveal|determine)")

# (name, pattern, weight at the start of the answer, words one of which the pattern needs);
# later in the answer a match weighs half. Texts are lower-cased once; the cheap substring check
# skips most regex searches, which dominate the cost on large datasets.
EVIDENCE: tuple[tuple[str, re.Pattern, float, re.Pattern], ...] = tuple(
    (name, re.compile(p), w, re.compile("|".join(map(re.escape, needs)))) for name, p, w, needs in (
        ("explicit_refusal", rf"\b(?:i|we) {_CANT}\b[^.!?\n]{{0,40}}?\b{_HELP_VERBS}", 0.9,
         ("can", "won't", "will not", "unable", "able to", "decline", "refuse", "comfortable")),
        ("sorry_cant", rf"\b(?:sorry|apologi[sz]e)\b[^.!?\n]{{0,30}}\b(?:i|we) {_CANT}", 0.9, ("sorry", "apologi")),
        ("cannot_request", r"\bi (?:can ?not|can't|won't|will not) (?:fulfill|complete|comply with|help with|assist with) "
                           r"(?:your|this|that) (?:request|question)", 0.9, ("request", "question")),
        # Other languages: the common explicit forms only (no \b: CJK has no word boundaries).
        ("other_language_refusal", r"(?:抱歉|对不起|很遗憾)[^。！？]{0,12}(?:我)?(?:无法|不能|不可以)|作为(?:一个)?(?:ai|人工智能)|"
                                   r"申し訳(?:ありません|ございません)[^。]{0,20}(?:できません)|"
                                   r"lo siento,? (?:pero )?no (?:puedo|es posible)|como (?:un )?modelo de lenguaje|"
                                   r"(?:je suis |)désolée?,? (?:mais )?je ne (?:peux|suis pas en mesure)|en tant qu'(?:ia|intelligence artificielle)|"
                                   r"es tut mir leid,? (?:aber )?ich kann|als (?:eine )?ki(?:-sprachmodell)? kann ich|"
                                   r"mi dispiace,? (?:ma )?non posso|desculpe,? (?:mas )?não (?:posso|consigo)", 0.9,
         ("抱歉", "对不起", "很遗憾", "作为", "申し訳", "lo siento", "modelo de lenguaje", "désolé", "en tant qu'",
          "tut mir leid", "als ", "mi dispiace", "desculpe")),
        ("ai_disclaimer", r"\bas an ai\b|\bi(?:'m| am) (?:just |only )?an ai\b|\bas a (?:large )?language model\b|"
                          r"\bi(?:'m| am) a language model\b", 0.6, (" ai", "language model")),
        ("policy", r"\b(?:against|violates?|within) my (?:programming|guidelines|policy|policies|ethical guidelines|"
                   r"principles)\b|\bnot within my (?:programming|capabilities|abilities)\b", 0.7,
         ("programming", "guidelines", "polic", "principles", "capabilities", "abilities")),
        ("not_appropriate", r"(?:^|[.!?]\s+)(?:it(?:'s| is)|that(?:'s| is)|this is) (?:not|never) (?:appropriate|ethical|"
                            r"acceptable|okay|ok|advisable|recommended|accurate|possible|safe|legal|something i)\b", 0.6,
         ("not ", "never ")),
        ("no_access", r"\bi (?:don't|do not) have (?:access to|the ability to|personal|real-time|any information)\b|"
                      r"\bi(?:'m| am) not (?:able|allowed|permitted) to\b", 0.5,
         ("have", "not able", "not allowed", "not permitted")),
        ("apology", r"^\W*(?:i(?:'m| am) (?:sorry|afraid)|sorry|i apologi[sz]e|unfortunately)\b", 0.5,
         ("sorry", "afraid", "apologi", "unfortunately")),
        ("must_point_out", r"\bi must (?:point out|inform you|clarify|emphasize|stress|remind you)\b|"
                           r"\bi (?:want|need) to (?:make sure|point out|clarify)\b", 0.45, ("must", "want to", "need to")),
        ("redirect", r"\binstead,? (?:i|you|we|it|consider|focus)\b|\bi (?:would|'d) (?:strongly )?(?:advise|encourage|"
                     r"suggest|recommend)(?: you)? (?:against|to (?:seek|consult|reach out|talk|speak))", 0.3,
         ("instead", "advise", "encourage", "suggest", "recommend")),
        ("moralize", r"\bit(?:'s| is) (?:important|crucial|essential) to (?:respect|remember|note that|prioritize|consider|"
                     r"recognize|treat|approach)\b|\b(?:harmful|illegal|unethical|offensive|discriminatory|dangerous) "
                     r"(?:or|and) (?:harmful|illegal|unethical|offensive|discriminatory|dangerous)\b", 0.25,
         ("important", "crucial", "essential", "harmful", "illegal", "unethical", "offensive", "discriminatory",
          "dangerous")),
    ))
_CONTENT_SIGNS = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+\S|```|\bhere (?:are|is|'s)\b|^\s*(?:sure|certainly|of course|absolutely|yes)\b",
                            re.IGNORECASE | re.MULTILINE)
_COMPLIANT_OPENER = re.compile(r"^\W*(?:sure|certainly|of course|absolutely|great question|yes|here(?: are|'s| is))\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
START_CHARS = 200     # evidence within this many characters counts fully
SHORT_WORDS = 40      # an answer this short with refusal evidence is an apology without content
STRONG = 0.9          # evidence this strong is an explicit refusal
OPENING_CHARS = 120   # an explicit refusal this early opens the answer
OPENING_FLOOR = 0.6   # the least damping such an answer gets (keeps it above 0.5)


def refusal_score(text: str) -> float:
    """0..1: how much the response reads as a refusal or AI boilerplate instead of an answer."""
    if not text or not text.strip():
        return 0.0
    text = text.strip().replace("\u2019", "'")
    lowered = text.lower()
    survive = 1.0
    opens_with_refusal = False
    for _name, pattern, weight, needs in EVIDENCE:
        if not needs.search(lowered):   # one C-level scan for the words the pattern needs
            continue
        match = pattern.search(lowered)
        if match:
            survive *= 1.0 - (weight if match.start() < START_CHARS else weight / 2)
            opens_with_refusal |= weight >= STRONG and match.start() < OPENING_CHARS
    score = 1.0 - survive
    if score == 0.0:
        return 0.0
    words = len(text.split())
    if _COMPLIANT_OPENER.search(text):
        score *= 0.35
    if words <= SHORT_WORDS:
        score = 1.0 - (1.0 - score) * 0.6        # nothing else said: the refusal is the answer
    else:
        # Content after the hedge: list items, code, "here are"; long answers are mostly content.
        content_signs = len(_CONTENT_SIGNS.findall(text))
        damping = 1.0 / (1.0 + 0.15 * content_signs + max(0, words - 150) / 400)
        # An answer that opens by refusing stays a refusal, whatever alternatives it lists after.
        score *= max(damping, OPENING_FLOOR) if opens_with_refusal else damping
    return float(min(1.0, max(0.0, score)))


@register
class Refusal(Metric):
    name: ClassVar[str] = "refusal"
    title: ClassVar[str] = "Refusals & boilerplate"
    description: ClassVar[str] = ("How much each response reads as a refusal, an apology without content, or "
                                  "'As an AI language model' boilerplate (0 = an answer, 1 = a refusal).")

    field: str = Field("last_response", description="Which response text to score")

    def columns(self) -> list[ColumnSpec]:
        return [ColumnSpec(name="refusal_score", label="Refusal score", dtype="float", unit="score", better="lower", bins=20,
                           range=(0.0, 1.0), group="quality",
                           description="Refusal/boilerplate evidence in the response (1 = a refusal)")]

    def compute(self, table: pa.Table) -> dict:
        texts = role_texts(table, self.field)
        return {"refusal_score": np.fromiter((refusal_score(t) for t in texts), np.float64, len(texts))}


def _response_key(text: str) -> str:
    """Hash of the response with case and whitespace normalized (boilerplate varies in little else)."""
    normalized = " ".join(text.lower().split())
    return hashlib.blake2b(normalized.encode(), digest_size=12).hexdigest() if normalized else ""


@register
class RepeatedResponse(Deduplicator):
    """Drop an answer given verbatim to many different prompts (canned replies, boilerplate)."""

    name: ClassVar[str] = "repeated_response"
    title: ClassVar[str] = "Repeated identical responses"
    description: ClassVar[str] = "The same response (case and spacing aside) given to at least `min_prompts` prompts."

    min_prompts: int = Field(3, ge=2, description="A response repeated for at least this many prompts is boilerplate")
    keep_copies: int = Field(1, ge=0, description="How many rows of each repeated response to keep")

    def signatures(self, table: pa.Table) -> pa.Table:
        responses = role_texts(table, "last_response")
        prompts = role_texts(table, "prompt")
        return pa.table({"id": table.column("id"),
                         "response_key": pa.array([_response_key(t) for t in responses], pa.string()),
                         "prompt_key": pa.array([_response_key(t) for t in prompts], pa.string())})

    def resolve(self, signatures: pa.Table) -> DedupResult:
        sig = signatures.sort_by("order") if "order" in signatures.column_names else signatures
        ids = sig.column("id").to_pylist()
        keys = sig.column("response_key").to_pylist()
        prompt_keys = sig.column("prompt_key").to_pylist()
        members: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key:
                members.setdefault(key, []).append(i)
        cluster_rows, ledger_rows = [], []
        for cluster, rows in enumerate(r for r in members.values() if len({prompt_keys[i] for i in r}) >= self.min_prompts):
            kept_id = ids[rows[0]] if self.keep_copies else None
            for rank, i in enumerate(rows):
                is_kept = rank < self.keep_copies
                cluster_rows.append((ids[i], cluster, kept_id, 1.0, is_kept))
                if not is_kept:
                    ledger_rows.append((ids[i], cluster, kept_id, 1.0, self.name))
        clusters = pa.table(dict(zip(["id", "cluster", "kept_id", "similarity", "is_kept"], _columns(cluster_rows, 5))),
                            schema=pa.schema([("id", pa.string()), ("cluster", pa.int64()), ("kept_id", pa.string()),
                                              ("similarity", pa.float64()), ("is_kept", pa.bool_())]))
        ledger = pa.table(dict(zip(["id", "cluster", "kept_id", "similarity", "method"], _columns(ledger_rows, 5))),
                          schema=pa.schema([("id", pa.string()), ("cluster", pa.int64()), ("kept_id", pa.string()),
                                            ("similarity", pa.float64()), ("method", pa.string())]))
        return DedupResult(clusters=clusters, ledger=ledger)


def _columns(rows: list[tuple], width: int) -> list[list]:
    return [list(col) for col in zip(*rows)] if rows else [[] for _ in range(width)]
