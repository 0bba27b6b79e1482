"""Fuzzy matching of free text to named things: wards, units, departments.

Residents type "p hang bac", "Hàng Bac", "HANG BAC" or "hang bak" for "Phường Hàng Bạc".
Both sides are compared on folded keys (:func:`core.text.fold`) with leading generic
words ("Phường", "P.", "UBND phường"...) stripped. An exact folded match wins outright;
otherwise rapidfuzz ranks the candidates, and the result says how sure it is so the edge
can confirm with the user or offer a choice.

What was typed is read three ways: as typed, with Telex/VNI leftovers decoded ("Hangf
Bacj", :func:`core.telex.decode_leftovers`), and without the address that follows the
name ("Phường Hàng Bạc, quận Hoàn Kiếm": the part before the comma or before the higher
level's word). An exact match of any of them counts, the one as typed first; the fuzzy
score of a candidate is its best over all of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rapidfuzz import fuzz, process

from core.org import Organisation, TakenOver, Unit
from core.telex import decode_leftovers
from core.text import fold, nfc, sound_key

# WRatio takes the best of plain, partial and token-based ratios: it forgives typos, word
# order ("hàng bạc phường") and a part of a name ("bạc" -> 90), but caps partial matches
# at 90 and token matches at 95, so they never beat a full match on spelling.

# Below this a lone hit is only a suggestion to confirm: one wrong letter in a short
# two-syllable name ("hang bat" for "hang bac") scores 87.5.
STRONG_SCORE = 90.0
# The best must lead the runner-up by this much to be chosen: names in one district share
# words ("Hàng ..."), and a near tie means the user has to pick.
MARGIN = 5.0
# Below this a candidate is not offered at all: unrelated names of similar length score
# about 30 to 60 ("xyz qwerty" against any ward).
WEAK_SCORE = 65.0
# A match on sound ("hang bak" for "hang bac") scores 95: above any typo of spelling,
# below a match on spelling (100).
SOUND_WEIGHT = 0.95
# Shorter queries match only exactly: one or two letters are a fragment of too many names
# ("p" is 90% of "phuc tan" to WRatio).
MIN_FUZZY_CHARS = 3

DEFAULT_STRIP_WORDS: tuple[str, ...] = (
    "uy ban nhan dan",
    "ubnd",
    "phuong",
    "p",
    "quan",
    "q",
    "huyen",
    "thi tran",
    "tt",
    "thi xa",
    "tx",
    "xa",
    "thanh pho",
    "tp",
    "phong",
)

# Words that begin the address after a unit's name: the levels above a ward. "phuong" and
# "p" are not among them: a ward-level unit's own name goes on with them ("Công an phường
# Hoàn Kiếm"); a comma still separates it.
_HIGHER_LEVELS: tuple[tuple[str, ...], ...] = (
    ("quan",),
    ("q",),
    ("huyen",),
    ("thi", "xa"),
    ("thanh", "pho"),
    ("tp",),
    ("tinh",),
    ("ha", "noi"),
)

MatchKind = Literal["exact", "confident", "ambiguous", "none"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something text can be matched to: a stable ``key``, a display ``name``, aliases."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """A candidate with its score, 0 to 100."""

    candidate: Candidate
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The ranked candidates; ``best`` is set only when the match is exact or confident."""

    kind: MatchKind
    best: Candidate | None
    candidates: list[ScoredCandidate]


class FuzzyMatcher:
    """Matches free text to a fixed list of candidates; build once, match often."""

    def __init__(
        self, candidates: Iterable[Candidate], *, strip_words: Iterable[str] = DEFAULT_STRIP_WORDS
    ) -> None:
        self._candidates = tuple(candidates)
        if len({c.key for c in self._candidates}) != len(self._candidates):
            raise ValueError("candidate keys must be unique")
        # Longest first, so "thi tran" is stripped before "tt" or "xa" could apply.
        self._strip_words = sorted({fold(w) for w in strip_words} - {""}, key=len, reverse=True)
        self._exact: dict[str, set[int]] = {}
        self._spelled: list[str] = []
        self._sounds: list[str] = []
        self._owners: list[int] = []
        for index, candidate in enumerate(self._candidates):
            for label in (candidate.name, *candidate.aliases):
                variants = self._variants(fold(label))
                for variant in variants:
                    self._exact.setdefault(variant, set()).add(index)
                self._spelled.append(variants[-1])
                self._sounds.append(sound_key(variants[-1]))
                self._owners.append(index)

    def match(self, text: str, limit: int = 5) -> MatchResult:
        """Rank the candidates for ``text``; return at most ``limit`` of them."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        readings = [self._variants(key) for key in _readings(text)]
        if not readings:
            return MatchResult("none", None, [])
        scores: dict[int, float] = {}
        for variants in readings:
            if self._is_specific(variants[-1]):
                for index, score in self._fuzzy_scores(variants[-1]).items():
                    scores[index] = max(scores.get(index, 0.0), score)
        exact = next(
            (self._exact[v] for variants in readings for v in variants if v in self._exact),
            set(),
        )
        for index in exact:
            scores[index] = 100.0
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        shown = [ScoredCandidate(self._candidates[i], s) for i, s in ranked[:limit]]
        kind = self._kind(len(exact), [s for _, s in ranked[:2]])
        best = self._candidates[ranked[0][0]] if kind in ("exact", "confident") else None
        return MatchResult(kind, best, shown)

    def _variants(self, key: str) -> list[str]:
        """Return ``key`` and what is left after each leading generic word is stripped."""
        variants = [key]
        while (word := self._leading_generic_word(variants[-1])) is not None:
            variants.append(variants[-1][len(word) + 1 :])
        return variants

    def _leading_generic_word(self, key: str) -> str | None:
        return next((w for w in self._strip_words if key.startswith(w + " ")), None)

    def _is_specific(self, query: str) -> bool:
        """Tell whether ``query`` says enough to be compared: not "p", not just "phuong"."""
        return len(query.replace(" ", "")) >= MIN_FUZZY_CHARS and query not in self._strip_words

    def _fuzzy_scores(self, query: str) -> dict[int, float]:
        scores: dict[int, float] = {}
        for choices, query_key, weight in (
            (self._spelled, query, 1.0),
            (self._sounds, sound_key(query), SOUND_WEIGHT),
        ):
            for _, score, position in process.extract(
                query_key,
                choices,
                scorer=fuzz.WRatio,
                processor=None,
                limit=None,
                score_cutoff=WEAK_SCORE / weight,
            ):
                owner = self._owners[position]
                scores[owner] = max(scores.get(owner, 0.0), score * weight)
        return scores

    @staticmethod
    def _kind(exact_hits: int, top_two: list[float]) -> MatchKind:
        if exact_hits == 1:
            return "exact"
        if exact_hits > 1:
            return "ambiguous"
        if not top_two:
            return "none"
        runner_up = top_two[1] if len(top_two) > 1 else 0.0
        if top_two[0] >= STRONG_SCORE and top_two[0] - runner_up >= MARGIN:
            return "confident"
        return "ambiguous"


def _readings(text: str) -> list[str]:
    """Return the folded keys ``text`` may mean: as typed, decoded, without the address."""
    keys: list[str] = []
    for whole in dict.fromkeys((text, decode_leftovers(text))):
        keys.append(fold(whole))
        head, comma, _ = whole.partition(",")
        if comma:
            keys.append(fold(head))
        words = fold(head).split()
        for start in range(1, len(words)):
            if any(tuple(words[start : start + len(level)]) == level for level in _HIGHER_LEVELS):
                keys.append(" ".join(words[:start]))
                break
    return [key for key in dict.fromkeys(keys) if key]


def written_as_named(typed: str, names: Iterable[str]) -> bool:
    """Tell whether ``typed`` spells the words it shares with ``names`` as they are written.

    "Hàng Bạc" is written as "Phường Hàng Bạc"; "hang bac", "Hàng Bac" and "Hangf Bacj"
    are not (matched on the folded key, or decoded): the edge shows such a match back.
    """
    written = {word for name in names for word in _written_words(name)}
    by_key = {fold(word) for word in written}
    shared = [word for word in _written_words(typed) if fold(word) in by_key]
    return bool(shared) and all(word in written for word in shared)


def _written_words(text: str) -> list[str]:
    """Return the words of ``text`` in NFC, lower case, diacritics kept."""
    lowered = nfc(text).casefold()
    kept = (c if c.isalnum() or unicodedata.category(c).startswith("M") else " " for c in lowered)
    return "".join(kept).split()


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """What a resident's words name among the units of a day.

    `result` ranks the units that exist on the day. `ended` is set when the words name a
    unit that had ended by then (and no living unit as well): `taken_over` then says where
    its area lies that day, for the resident to choose from.
    """

    result: MatchResult
    ended: Unit | None = None
    taken_over: tuple[TakenOver, ...] = ()


class UnitFinder:
    """Matches words to the units of an organisation as they were on a given day.

    Units are matched among those that exist on the day, never silently among all: a unit
    that had ended is only recognised to say so, with its successors.
    """

    def __init__(self, organisation: Organisation | None) -> None:
        self.organisation = organisation
        self._units = organisation.units if organisation is not None else ()
        self._matchers: dict[tuple[str, ...], FuzzyMatcher] = {}

    def units_on(self, day: date) -> tuple[Unit, ...]:
        """Return the units that exist on `day`, in file order (none if none does)."""
        return tuple(unit for unit in self._units if unit.active_on(day))

    def matcher_on(self, day: date) -> FuzzyMatcher:
        """Return a matcher over the units that exist on `day` (built once per set)."""
        return self._matcher(self.units_on(day))

    def find(self, text: str, day: date, limit: int = 5) -> UnitMatch:
        """Match `text` to the units of `day`; recognise a unit that had ended by then."""
        living = self.matcher_on(day).match(text, limit)
        if living.kind == "exact" or self.organisation is None:
            return UnitMatch(living)
        ended_units = tuple(unit for unit in self._units if unit.ended_before(day))
        if not ended_units:
            return UnitMatch(living)
        ended = self._matcher(ended_units).match(text, 1)
        sure = ended.kind == "exact" or (
            ended.kind == "confident" and living.kind in ("ambiguous", "none")
        )
        if not sure or ended.best is None:
            return UnitMatch(living)
        unit = self.organisation.find_unit(ended.best.key)
        if unit is None:  # pragma: no cover - the matcher holds the organisation's units
            return UnitMatch(living)
        return UnitMatch(living, unit, self.organisation.taken_over(unit, day))

    def _matcher(self, units: tuple[Unit, ...]) -> FuzzyMatcher:
        key = tuple(unit.key for unit in units)
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = FuzzyMatcher(Candidate(u.key, u.name, tuple(u.aliases)) for u in units)
            self._matchers[key] = matcher
        return matcher
