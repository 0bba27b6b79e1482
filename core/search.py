"""Officers' ``/find``: fuzzy search over nominations by nominee, unit, deed and code.

An officer types ``/find nguyen van bihn hang bac``: no diacritics, a slip or two, words
of the name, the ward and the deed in any order. The bot process keeps one
:class:`NominationIndex`, fed by the storage layer, and asks it for a ranked page of
nomination ids; it loads those few nominations from the database and shows them
(:func:`shown_page`).

How a query is answered:

1. A tracking code anywhere in the query ("nt-abcd-efgh", "NTABCDEFGH") puts that
   nomination first, if it is in the officer's scope; its words leave the query. The
   index keeps no codes: the caller asks the database which of the codes the query may
   spell exist (:func:`tracking_codes_in`) and passes them in.
2. Telex and VNI leftovers are decoded (:func:`core.telex.decode_leftovers`: "Nguyeenx
   Vawn Binhf" is "Nguyễn Văn Bình"); a decoded word matches what it means and what it
   spells as typed, whichever is closer.
   Every other word is folded (:func:`core.text.fold`) and looked up in the vocabulary of
   folded words (names, units and deeds share it: Vietnamese is written in syllables, so
   a few thousand words cover everything). A word matches itself, the words that sound
   the same (:func:`core.text.sound_key`: "bak" for "bạc"), the words one edit away (a
   deletion index finds them without scanning) and, for a word no one has, the words two
   edits away.
3. A run of words that names a unit in full ("phuong hang bac", "hang bak") restricts the
   search to that unit, unless none of its cases matches the other words well; then every
   unit in scope is searched, the named one keeping its bonus. The scope filter applies
   before anything is ranked, so cases outside the officer's units never count or show.
4. Each unit keeps posting lists (word → its nominations). Rare, valuable words are read
   first (the given name, not "Nguyễn"), and reading stops as soon as no unread
   nomination can reach the hit bar (the MaxScore bound of search engines); once some
   words are indispensable, only their lists are read, intersected as sets. Only the
   nominations read are scored.
5. A nomination's score adds, for each query word, its best match in the name or the
   deed (weighted lower), the unit (worth one word) if the query named it, and how much
   of the nominee's name the query covers. Hits are the nominations within
   :data:`HIT_MARGIN` of the best (a short first page is filled with near misses),
   ranked by score, then newest ``created_at``, then highest id.

Everything is in memory and pure: no I/O, no clock. The index keeps only what ranking
needs, nothing to show: words are stored as one character each (a word's number in the
vocabulary, as a code point), so a name is a 2-5 character string and "does this deed
contain the word" is a C-level ``in``.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from core.codes import TrackingCode, parse_tracking_code
from core.matching import DEFAULT_STRIP_WORDS
from core.telex import decode_leftovers
from core.text import fold, sound_key

# What one query word is worth, by what it matched (a full match counts 1 word).
# The nominee's name is what an officer looks for: full weight.
NAME_WEIGHT = 1.0
# The unit, named in full ("hàng bạc"): it picks the right thousand cases, not the case, so
# it counts as one word however many words its name has ("Trần Hưng Đạo" has three):
# a name typed in full outweighs the unit it was placed in.
UNIT_WEIGHT = 1.0
# A title typed before the unit's name ("phuong", "p", "ubnd") is part of naming it and
# counts fully, unless it matches better as a name ("Phương", "Quân", "Huyền") elsewhere.
TITLE_WEIGHT = 1.0
# A word of the deed ("ví", "tiền"): deeds share their words ("cứu", "người") far more than
# people share names, so a deed word ranks below a name word spelled the same, yet above a
# misspelt name word (at most 0.77). Close enough to 1 that for "tra lai vi tien" a Ms Trà
# who returned a wallet is not more of a hit than everyone else who did (0.15 of a word
# plus coverage, under HIT_MARGIN), far enough that for "nguyen van hai" a Nguyễn Văn Bình
# whose deed was in "phố Hai Bà Trưng" is not a hit (0.15 plus a third of the coverage).
DEED_WEIGHT = 0.85

# How close a query word is to an indexed word (1.0 when equal after folding).
# Spelled differently, sounding the same (c/k, s/x, tr/ch, "Lý"/"Lí"): almost a match.
SOUND_SIMILARITY = 0.95
# A misspelt word scores this times the share of it left intact, 1 - edits / mean length:
# one slip in "nguyen" (0.75) costs less than one in "an" (0.45), and "bihn" is closer to
# "binh" (0.675) than to "bin" (0.64). Always below a sound match.
TYPO_CEILING = 0.9
# Among words as many edits away, the one most alike by Jaro-Winkler (same letters, same
# start) wins by up to this much: "bihn" is "binh" with two letters swapped rather than
# "biên" with one changed; "bin" is "binh" cut short rather than "biên".
TYPO_TIE_BREAK = 0.05
# Edits forgiven in a query word of this many letters and more: one from 2 letters (a
# slip that makes another real word, "văn" → "an", is still found among the one-edit
# neighbours, though far below the word as typed); two from 4 letters, and only for a
# word that is not itself a known word (a known word two edits from the intended one
# would drown it among hundreds of neighbours).
ONE_EDIT_FROM = 2
TWO_EDITS_FROM = 4
# Longer words (foreign names, numbers run together) match only as typed: Vietnamese
# syllables have at most 7 letters, and the neighbour index stays small.
MAX_FUZZY_LETTERS = 12

# How much of the nominee's name the query names, worth up to this many words: "Nguyễn
# Văn Bình" ranks above "Nguyễn Văn Bình An" for "nguyen van binh", and a name word
# found in the name above the same word found in the deed.
NAME_COVERAGE_WEIGHT = 0.5
# Hits are the nominations within this many words of the best one. A one-letter slip
# costs at least 0.25 of a word plus coverage, a name word found only in the deed 0.32:
# with "nguyen van binh" typed right, "Nguyễn Văn Minh" (0.38 behind) is no hit.
HIT_MARGIN = 0.3
# ... except that the first page is filled with near misses down to this far behind the
# best: a slip that makes another real name ("thục" typed "thuy") leaves the intended
# case 0.38 behind the Thùy's, and it must still be on the first page when there are
# only a few of them.
NEAR_MISS_MARGIN = 0.5
SHORT_LIST = 10
# Words of a query beyond this many are ignored: a name, a unit and a few words of the deed
# say enough, and each word costs a vocabulary lookup and a posting list per unit.
MAX_QUERY_WORDS = 16
# The best hit must match at least half of the query (score 50 of 100), or nothing is
# shown: "xyz qwerty" or one name word among junk finds nothing rather than everything.
MIN_SCORE = 50.0

# A run of query words names a unit when each word matches the unit's word at this
# similarity or more ("hagn" → "hàng" 0.675) and the run as a whole averages this much.
UNIT_WORD_SIMILARITY = 0.6
UNIT_NAMED_SIMILARITY = 0.75
# Units named nearly as well as the best one are all searched ("cua nam"/"cua dong" with
# a slip): the score tells them apart.
UNIT_MARGIN = 0.1
# The cases of a named unit answer the query when they match the other words at least
# this well (half a word each): "vuong quoc toan tran hung dao" with no Toản in Trần
# Hưng Đạo shows the Vương Quốc Toản of another ward, not any case of Trần Hưng Đạo.
NAMED_UNIT_ANSWERS = 0.5

# Hits show the start of the deed (enough to tell namesakes apart: "Trả lại ví tiền...").
DEED_EXCERPT_CHARS = 100

_EPSILON = 1e-9
# Putting a posting list's element in a set costs about this share of scoring it.
_SET_COST = 0.05
_Phrase = tuple[str, ...]
# Word numbers are stored as code points; ``chr`` stops here.
_MAX_WORDS = 0x110000


@dataclass(frozen=True, slots=True)
class SearchEntry:
    """What search reads of one nomination, and what a hit shows; built by the storage layer.

    The index keeps none of it as text: names and deeds become word characters, and the
    entries of a page's hits are loaded again when the page is shown (100,000 entries
    would take some 50 MB of the bot's 200 MB).
    """

    nomination_id: int
    code: str
    nominee_name: str
    unit_key: str
    unit_name: str
    deed: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RankedHit:
    """A nomination the index found, with its score from 0 to 100 (100: every word matched)."""

    nomination_id: int
    score: float


@dataclass(frozen=True, slots=True)
class RankedPage:
    """One page of the index's hits, best first; ``total`` counts every hit in scope."""

    hits: list[RankedHit]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A nomination found, as shown: its entry (the deed cut short) and its score."""

    entry: SearchEntry
    score: float


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of hits; ``total`` counts every hit in scope, for "page 2 of 5"."""

    hits: list[SearchHit]
    total: int
    offset: int
    limit: int


def shown_page(
    ranked: RankedPage, entries: Iterable[SearchEntry], *, unit_keys: frozenset[str] | None
) -> SearchPage:
    """Return the ranked page with each hit's entry as loaded, its deed cut to an excerpt.

    ``entries`` are the hits' nominations as stored now, in any order. One deleted since
    it was ranked, or moved out of ``unit_keys`` (None: every unit), is left out: the page
    is a hit short, and ``total`` stays as ranked.
    """
    by_id = {entry.nomination_id: entry for entry in entries}
    hits = []
    for hit in ranked.hits:
        entry = by_id.get(hit.nomination_id)
        if entry is not None and (unit_keys is None or entry.unit_key in unit_keys):
            hits.append(SearchHit(_excerpted(entry), hit.score))
    return SearchPage(hits=hits, total=ranked.total, offset=ranked.offset, limit=ranked.limit)


def tracking_codes_in(query: str) -> list[TrackingCode]:
    """Return the tracking codes that words of ``query`` may spell, for a database lookup.

    :meth:`NominationIndex.search` takes the first of them that names an indexed
    nomination (given in its ``codes``); most are just words ("minh tham" reads
    NT-M1NH-THAM), which is why only a code that exists counts.
    """
    return list(dict.fromkeys(code for code, _, _ in _code_spans(_query_words(query))))


@dataclass(frozen=True, slots=True)
class _QueryWord:
    """A query word's matches in the vocabulary: word character → similarity."""

    similar: dict[str, float]
    ranked: tuple[tuple[str, float], ...]  # the same, most similar first


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _typo_similarity(word: str, other: str, edits: int) -> float:
    intact = 1.0 - 2.0 * edits / (len(word) + len(other))
    alike = JaroWinkler.similarity(word, other)
    return TYPO_CEILING * intact - TYPO_TIE_BREAK * (1.0 - alike)


def _is_fuzzy(word: str) -> bool:
    return word.isalpha() and len(word) <= MAX_FUZZY_LETTERS


class _Vocabulary:
    """Every folded word ever indexed, each as one character, with its near spellings."""

    __slots__ = ("_by_deletion", "_by_length", "_by_sound", "_char_of", "_words")

    def __init__(self) -> None:
        self._char_of: dict[str, str] = {}
        self._words: list[str] = []
        self._by_sound: dict[str, str] = {}
        # A word with one letter dropped → the words that give it (SymSpell's index): two
        # words one edit apart share a key or are each other's key.
        self._by_deletion: dict[str, str] = {}
        self._by_length: dict[int, list[str]] = {}

    def intern(self, word: str) -> str | None:
        """Return the character of ``word``, adding it; None once the vocabulary is full."""
        char = self._char_of.get(word)
        if char is not None:
            return char
        if len(self._words) >= _MAX_WORDS:
            return None  # over a million distinct words: the rest are not searchable
        char = chr(len(self._words))
        self._char_of[word] = char
        self._words.append(word)
        sound = sound_key(word)
        self._by_sound[sound] = self._by_sound.get(sound, "") + char
        if _is_fuzzy(word):
            for deleted in _deletions(word):
                self._by_deletion[deleted] = self._by_deletion.get(deleted, "") + char
            self._by_length.setdefault(len(word), []).append(word)
        return char

    @property
    def chars(self) -> dict[str, str]:
        """Return the characters of the known words, by word (not to be changed)."""
        return self._char_of

    def lookup(self, word: str) -> _QueryWord:
        """Return the known words that ``word`` may stand for, with their similarity."""
        similar: dict[str, float] = {}
        exact = self._char_of.get(word)
        if exact is not None:
            similar[exact] = 1.0
        for char in self._by_sound.get(sound_key(word), ""):
            similar.setdefault(char, SOUND_SIMILARITY)
        if _is_fuzzy(word) and len(word) >= ONE_EDIT_FROM:
            known = bool(similar)
            self._add_typos(word, self._one_edit_away(word), 1, similar)
            if len(word) >= TWO_EDITS_FROM and not known:
                self._add_typos(word, self._two_edits_away(word), 2, similar)
        ranked = tuple(sorted(similar.items(), key=lambda item: -item[1]))
        return _QueryWord(similar, ranked)

    def _add_typos(
        self, word: str, others: Iterable[str], edits: int, similar: dict[str, float]
    ) -> None:
        for other in others:
            char = self._char_of[other]
            similar.setdefault(char, _typo_similarity(word, other, edits))

    def _one_edit_away(self, word: str) -> set[str]:
        chars = set(self._by_deletion.get(word, ""))  # one letter more
        for deleted in _deletions(word):
            shorter = self._char_of.get(deleted)  # one letter less
            if shorter is not None:
                chars.add(shorter)
            chars.update(self._by_deletion.get(deleted, ""))  # one letter changed or swapped
        words = {self._words[ord(c)] for c in chars}
        return {w for w in words if _is_fuzzy(w) and OSA.distance(word, w, score_cutoff=1) == 1}

    def _two_edits_away(self, word: str) -> set[str]:
        found: set[str] = set()
        for length in range(len(word) - 2, len(word) + 3):
            bucket = self._by_length.get(length)
            if bucket:
                for other, edits, _ in process.extract(
                    word, bucket, scorer=OSA.distance, score_cutoff=2, limit=None
                ):
                    if edits == 2:
                        found.add(other)
        return found


class _Unit:
    """One unit's nominations with their posting lists (word character → slots)."""

    __slots__ = ("deed_postings", "key", "name", "name_postings", "slots", "titles", "words")

    def __init__(self, key: str, name: str, titles: frozenset[_Phrase], words: str) -> None:
        self.key = key
        self.name = name  # the latest name, which officers search by
        self.titles = titles  # what may be typed before its name: "phuong", "p", "ubnd"
        self.words = words  # its folded name without titles, as word characters
        self.slots = array("I")
        self.name_postings: dict[str, array[int]] = {}
        self.deed_postings: dict[str, array[int]] = {}


@dataclass(frozen=True, slots=True)
class _Plan:
    """One unit to search, and what the query words that name it are worth there.

    ``unit_words`` named the unit and are worth ``unit_score`` together (nothing in a unit
    they do not name). ``floors`` are the titles typed before them ("phuong" in "phuong
    hang bac"): each word is worth at least its floor, more if it matches a name better.
    """

    unit: _Unit
    unit_words: frozenset[int]
    unit_score: float
    floors: dict[int, float]


class _Ranking:
    """The scores gathered for one query and the bar a nomination must reach to be a hit.

    The bar only rises as better nominations are scored, so whatever was skipped for
    being under it stays under it.
    """

    __slots__ = ("best", "floor", "scored", "top")

    def __init__(self, floor: float) -> None:
        self.floor = floor
        self.best = 0.0
        self.scored: dict[int, float] = {}
        # The SHORT_LIST best scores so far (a min-heap): near misses fill a short page.
        self.top = [float("-inf")] * SHORT_LIST

    @property
    def bar(self) -> float:
        """Return the score a nomination needs to be a hit, given the scores so far."""
        near_miss = max(self.best - NEAR_MISS_MARGIN, self.top[0])
        return max(self.floor, min(self.best - HIT_MARGIN, near_miss))

    def note(self, slot: int, raw: float) -> None:
        """Record the score of a nomination."""
        self.scored[slot] = raw
        self.best = max(self.best, raw)
        if raw > self.top[0]:
            heapq.heapreplace(self.top, raw)

    def hits(self, stamps: array[float], ids: array[int]) -> list[tuple[float, int]]:
        """Return (raw score, slot) of the hits, best first, then newest, then highest id."""
        low = max(self.floor, self.best - NEAR_MISS_MARGIN) - _EPSILON
        close = -(self.best - HIT_MARGIN - _EPSILON)
        # Scores equal up to float rounding are ties; plain tuples sort at C speed.
        ordered = sorted(
            (-round(raw, 9), -stamps[slot], -ids[slot], slot)
            for slot, raw in self.scored.items()
            if raw >= low
        )
        return [
            (-key[0], key[3])
            for rank, key in enumerate(ordered)
            if rank < SHORT_LIST or key[0] <= close
        ]


# Words put before a unit's name ("Phường", "P.", "UBND phường"...), longest first.
_TITLES: list[_Phrase] = sorted(
    (tuple(fold(words).split()) for words in DEFAULT_STRIP_WORDS), key=len, reverse=True
)
# A title and its abbreviation stand for each other: "phuong"/"p", "thi tran"/"tt".
_SHORT_FOR: dict[_Phrase, set[_Phrase]] = {}
for _title in _TITLES:
    _initials = ("".join(word[0] for word in _title),)
    if _initials != _title and _initials in _TITLES:
        _SHORT_FOR.setdefault(_title, set()).add(_initials)
        _SHORT_FOR.setdefault(_initials, set()).add(_title)
# Typed before any unit's title: "ubnd phuong hang bac".
_AUTHORITY: frozenset[_Phrase] = frozenset({("ubnd",), ("uy", "ban", "nhan", "dan")})


def _folded_words(text: str) -> list[str]:
    """Return ``fold(text).split()``, folding each distinct raw word once.

    Folding character by character costs ~50 µs a text; names and deeds reuse a few
    thousand words, so indexing 100,000 nominations folds each of them once, not each time.
    ``fold`` splits where ``str.split`` does, so word by word gives the same words.
    """
    return [word for raw in text.split() for word in _fold_word(raw)]


@lru_cache(maxsize=1 << 15)
def _fold_word(raw: str) -> tuple[str, ...]:
    return tuple(fold(raw).split())


@lru_cache(maxsize=1 << 10)
def _unit_words(unit_name: str) -> tuple[frozenset[_Phrase], _Phrase]:
    """Split a unit's folded name into the titles that may precede it and its own words.

    "Phường Hàng Bạc" gives ({"phuong", "p", "ubnd", ...}, ("hang", "bac")).
    """
    words = tuple(fold(unit_name).split())
    titles = set(_AUTHORITY)
    stripped = True
    while stripped:
        stripped = False
        for title in _TITLES:
            if len(words) > len(title) and words[: len(title)] == title:
                titles.add(title)
                titles.update(_SHORT_FOR.get(title, ()))
                words = words[len(title) :]
                stripped = True
                break
    return frozenset(titles), words


class NominationIndex:
    """An in-memory search index over nominations; build it once, keep it up to date.

    It keeps what ranking needs and nothing to show: :meth:`search` answers with ids.
    Not thread-safe: the bot calls it from one thread at a time.
    """

    def __init__(self, entries: Iterable[SearchEntry] = ()) -> None:
        self._vocabulary = _Vocabulary()
        self._units: dict[str, _Unit] = {}
        # By slot: the nomination's unit (None for a free slot), its name and its deed as
        # word characters, when it was created and its id.
        self._unit_of: list[_Unit | None] = []
        self._names: list[str] = []
        self._deeds: list[str] = []
        self._stamps = array("d")
        self._ids = array("q")
        self._free: list[int] = []
        self._count = 0
        # Equal names and deeds share one string while loading (:meth:`finish_loading`).
        self._copies: dict[str, str] = {}
        # Nominations come in id order (the database's), so ``_ids`` is sorted and a binary
        # search finds a slot: no dict of 100,000 ids (10 MB). Once an id comes out of
        # order, or a freed slot is taken by another nomination, this dict takes over.
        self._slot_of: dict[int, int] | None = None
        for entry in entries:
            self.add(entry)
        self.finish_loading()

    def __len__(self) -> int:
        return self._count

    def __contains__(self, nomination_id: object) -> bool:
        return isinstance(nomination_id, int) and self._slot(nomination_id) is not None

    def add(self, entry: SearchEntry) -> None:
        """Index a nomination; raise ValueError if its id is already indexed."""
        if self._slot(entry.nomination_id) is not None:
            raise ValueError(f"nomination {entry.nomination_id} is already indexed")
        unit = self._unit_for(entry)
        name = self._shared("".join(self._chars(_folded_words(entry.nominee_name))))
        deed = self._shared("".join(sorted(set(self._chars(_folded_words(entry.deed))))))
        created = entry.created_at
        stamp = created.timestamp() if created is not None else float("-inf")
        slot = self._take_slot(entry.nomination_id)
        if slot < len(self._names):
            self._unit_of[slot], self._names[slot], self._deeds[slot] = unit, name, deed
            self._stamps[slot], self._ids[slot] = stamp, entry.nomination_id
        else:
            self._unit_of.append(unit)
            self._names.append(name)
            self._deeds.append(deed)
            self._stamps.append(stamp)
            self._ids.append(entry.nomination_id)
        _post(unit.name_postings, set(name), slot)
        _post(unit.deed_postings, deed, slot)
        unit.slots.append(slot)
        self._count += 1

    def remove(self, nomination_id: int) -> bool:
        """Forget a nomination; return False if it was not indexed."""
        slot = self._slot(nomination_id)
        if slot is None:
            return False
        unit = self._unit_of[slot]
        assert unit is not None
        for char in set(self._names[slot]):
            _discard(unit.name_postings, char, slot)
        for char in self._deeds[slot]:
            _discard(unit.deed_postings, char, slot)
        unit.slots.remove(slot)
        if not unit.slots:
            del self._units[unit.key]
        if self._slot_of is not None:
            del self._slot_of[nomination_id]
        # The id stays in ``_ids``, which stays sorted; the slot is free.
        self._unit_of[slot], self._names[slot], self._deeds[slot] = None, "", ""
        self._free.append(slot)
        self._count -= 1
        return True

    def update(self, entry: SearchEntry) -> None:
        """Replace the indexed nomination with the same id, or index it if it is new."""
        self.remove(entry.nomination_id)
        self.add(entry)

    def search(
        self,
        query: str,
        *,
        unit_keys: frozenset[str] | None = None,
        limit: int = 10,
        offset: int = 0,
        codes: Mapping[TrackingCode, int] | None = None,
    ) -> RankedPage:
        """Return one page of the ids of the nominations that match ``query``, best first.

        ``unit_keys`` is the officer's scope (None: every unit, for the secretariat);
        nominations of other units are never scored, counted or shown. ``codes`` are the
        tracking codes among :func:`tracking_codes_in` that exist, with their nominations'
        ids: the first one typed that is indexed puts its nomination first.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if offset < 0:
            raise ValueError(f"offset must not be negative, not {offset}")
        units = [unit for key, unit in self._units.items() if unit_keys is None or key in unit_keys]
        code_slot, words = self._take_code(_query_words(query), codes or {})
        ranked: list[tuple[float, int]] = []  # (score as a share of the best possible, slot)
        if code_slot is not None:
            unit = self._unit_of[code_slot]
            if unit is not None and (unit_keys is None or unit.key in unit_keys):
                ranked.append((1.0, code_slot))
        if words and units:
            ranked.extend(hit for hit in self._ranked(words, units) if hit[1] != code_slot)
        hits = [
            RankedHit(self._ids[slot], round(100.0 * share, 2))
            for share, slot in ranked[offset : offset + limit]
        ]
        return RankedPage(hits=hits, total=len(ranked), offset=offset, limit=limit)

    # Indexing

    def _slot(self, nomination_id: int) -> int | None:
        """Return the slot of an indexed nomination, or None."""
        if self._slot_of is not None:
            return self._slot_of.get(nomination_id)
        ids = self._ids
        at = bisect_left(ids, nomination_id)
        if at < len(ids) and ids[at] == nomination_id and self._unit_of[at] is not None:
            return at
        return None

    def _take_slot(self, nomination_id: int) -> int:
        """Return the slot for a nomination not indexed: a free one if any, else a new one."""
        ids = self._ids
        if self._slot_of is None:
            if not self._free and (not ids or nomination_id > ids[-1]):
                return len(ids)  # the next in id order: ``_ids`` stays sorted
            at = bisect_left(ids, nomination_id)
            if at < len(ids) and ids[at] == nomination_id:
                self._free.remove(at)  # the slot it had before update(): still in order
                return at
            live = enumerate(self._unit_of)
            self._slot_of = {ids[slot]: slot for slot, unit in live if unit is not None}
        slot = self._free.pop() if self._free else len(ids)
        self._slot_of[nomination_id] = slot
        return slot

    def finish_loading(self) -> None:
        """Drop the table that lets equal names and deeds share one copy while loading.

        100,000 nominations have far fewer distinct names ("Nguyễn Văn An" recurs) and
        word sets of deeds: sharing them saves some 10 MB of the index's 36 (``bench/
        memory.py``). The table itself would cost a few MB when deeds are all distinct, so
        it lives only while a batch of entries is added; later ones keep their own copy.
        """
        self._copies = {}

    def _shared(self, chars: str) -> str:
        """Return the copy kept of a name's or a deed's word characters (equal ones share)."""
        return self._copies.setdefault(chars, chars)

    def _chars(self, words: Iterable[str]) -> list[str]:
        known = self._vocabulary.chars.get
        chars = []
        for word in words:
            char = known(word)
            if char is None:
                char = self._vocabulary.intern(word)
                if char is None:
                    continue
            chars.append(char)
        return chars

    def _unit_for(self, entry: SearchEntry) -> _Unit:
        titles, folded = _unit_words(entry.unit_name)
        words = "".join(self._chars(folded))
        unit = self._units.get(entry.unit_key)
        if unit is None:
            unit = _Unit(entry.unit_key, entry.unit_name, titles, words)
            self._units[entry.unit_key] = unit
        elif entry.unit_name != unit.name:
            # Renamed: officers search by the latest name.
            unit.name, unit.titles, unit.words = entry.unit_name, titles, words
        return unit

    # Searching

    def _take_code(
        self, words: list[str], codes: Mapping[TrackingCode, int]
    ) -> tuple[int | None, list[str]]:
        """Find the slot of a code among the words; return it and the other words.

        Only a code in ``codes`` whose nomination is indexed counts, so words that happen
        to parse as one ("minh tham" reads NT-M1NH-THAM) stay words.
        """
        if codes:
            for code, start, size in _code_spans(words):
                nomination_id = codes.get(code)
                slot = self._slot(nomination_id) if nomination_id is not None else None
                if slot is not None:
                    return slot, words[:start] + words[start + size :]
        return None, words

    def _ranked(self, words: list[str], units: list[_Unit]) -> list[tuple[float, int]]:
        """Return (score as a share of the best possible, slot) of every hit, best first.

        A unit named in the query is searched alone first. Its cases must match the other
        words at least half as well as they could (NAMED_UNIT_ANSWERS); if none does, the
        officer probably has the wrong unit in mind, and every unit in scope is searched,
        the named one keeping its bonus, the words that named it counting nowhere else.
        """
        typed = words
        words = _decoded(words)
        query = [self._lookup(word, as_typed) for word, as_typed in zip(words, typed, strict=True)]
        if not any(word.similar for word in query):
            return []
        named = self._named_units(words, query, units)
        if not named:
            plans = [_Plan(unit, frozenset(), 0.0, {}) for unit in units]
            return self._rank_units(query, plans, len(query) + NAME_COVERAGE_WEIGHT)
        best = named[0]
        denominator = len(query) - len(best.unit_words) + UNIT_WEIGHT + NAME_COVERAGE_WEIGHT
        needed = min(
            plan.unit_score
            + sum(plan.floors.values())
            + NAMED_UNIT_ANSWERS * (len(query) - len(plan.unit_words) - len(plan.floors))
            for plan in named
        )
        hits = self._rank_units(query, named, denominator, needed)
        if hits:
            return hits
        named_keys = {plan.unit.key for plan in named}
        unit_words = frozenset().union(*(plan.unit_words for plan in named))
        plain = [_Plan(unit, unit_words, 0.0, {}) for unit in units if unit.key not in named_keys]
        return self._rank_units(query, named + plain, denominator)

    def _lookup(self, word: str, as_typed: str) -> _QueryWord:
        """Return the matches of a decoded word merged with those of the word as typed."""
        found = self._vocabulary.lookup(word)
        if word == as_typed:
            return found
        similar = dict(found.similar)
        for char, similarity in self._vocabulary.lookup(as_typed).similar.items():
            similar[char] = max(similar.get(char, 0.0), similarity)
        ranked = tuple(sorted(similar.items(), key=lambda item: -item[1]))
        return _QueryWord(similar, ranked)

    def _named_units(
        self, words: list[str], query: list[_QueryWord], units: list[_Unit]
    ) -> list[_Plan]:
        """Return the units that a run of query words names in full, best named first."""
        found: list[tuple[float, str, _Plan]] = []
        for unit in units:
            size = len(unit.words)
            best: tuple[float, str, _Plan] | None = None
            for start in range(len(query) - size + 1):
                sims = [query[start + j].similar.get(c, 0.0) for j, c in enumerate(unit.words)]
                if min(sims, default=0.0) < UNIT_WORD_SIMILARITY:
                    continue
                titled = _titles_before(words, start, unit.titles)
                if size == 1 and not titled:
                    continue  # a one-word unit alone is more likely a name: "Bình"
                mean = sum(sims) / size
                if best is None or mean > best[0]:
                    floors = dict.fromkeys(range(start - titled, start), TITLE_WEIGHT)
                    named_by = frozenset(range(start, start + size))
                    plan = _Plan(unit, named_by, UNIT_WEIGHT * mean, floors)
                    best = (mean, unit.key, plan)
            if best is not None and best[0] >= UNIT_NAMED_SIMILARITY:
                found.append(best)
        if not found:
            return []
        found.sort(key=lambda item: (-item[0], item[1]))
        top = found[0][0]
        return [plan for mean, _, plan in found if mean >= top - UNIT_MARGIN - _EPSILON]

    def _rank_units(
        self,
        query: list[_QueryWord],
        plans: list[_Plan],
        denominator: float,
        needed: float = 0.0,
    ) -> list[tuple[float, int]]:
        """Score what can be a hit in the planned units; return the hits, best first.

        The units take turns: the next group of posting lists read is, over all units,
        the one that lowers its unit's bound most per nomination read. So every unit's
        rare exact matches are read before any unit's near spellings, the bar rises early,
        and a unit stops as soon as nothing unread in it can reach the bar.
        """
        ranking = _Ranking(floor=max(needed, MIN_SCORE / 100.0 * denominator))
        scans = [_UnitScan(plan, query, self._names, self._deeds) for plan in plans]
        queue: list[tuple[float, int]] = []
        for number, scan in enumerate(scans):
            _take_turn(queue, number, scan, ranking)
        while queue:
            _, number = heapq.heappop(queue)
            scan = scans[number]
            if scan.bound() < ranking.bar - _EPSILON:
                continue  # nothing unread in this unit can be a hit any more
            scan.read_next(ranking)
            _take_turn(queue, number, scan, ranking)
        return [(raw / denominator, slot) for raw, slot in ranking.hits(self._stamps, self._ids)]


def _take_turn(
    queue: list[tuple[float, int]], number: int, scan: _UnitScan, ranking: _Ranking
) -> None:
    """Queue the unit's next read, or, when all is read, score the rest of it at once."""
    if scan.bound() < ranking.bar - _EPSILON:
        return
    gain = scan.next_gain()
    if gain is None:
        scan.score_the_rest(ranking)
    else:
        heapq.heappush(queue, (-gain, number))


# One group of a word's posting lists, all of equal worth: (worth, lists, nominations,
# the worth of the best name match in this group or any later one).
_Group = tuple[float, list["array[int]"], int, float]


class _UnitScan:
    """Reading one unit's posting lists for one query, most valuable and rarest first.

    Each free query word (one that did not name the unit) has its posting lists in
    groups of equal worth, most valuable first. A nomination in no group read yet can
    score at most the unit's part plus the worth of each word's next unread group (the
    MaxScore bound); once that is under the bar, the unit is done.
    """

    __slots__ = (
        "base",
        "count",
        "deeds",
        "done",
        "floors",
        "groups",
        "name_worth",
        "names",
        "read",
        "slots",
        "unions",
        "words",
        "worth",
    )

    def __init__(
        self, plan: _Plan, query: list[_QueryWord], names: list[str], deeds: list[str]
    ) -> None:
        unit = plan.unit
        free = [i for i in range(len(query)) if i not in plan.unit_words]
        self.base = plan.unit_score
        self.names, self.deeds, self.slots = names, deeds, unit.slots
        self.done = False
        self.unions: dict[int, set[int]] = {}
        self.floors = [plan.floors.get(i, 0.0) for i in free]
        self.groups: list[list[_Group]] = []
        self.words: list[tuple[float, dict[str, float], tuple[tuple[str, float], ...]]] = []
        for i, floor in zip(free, self.floors, strict=True):
            options: list[tuple[float, bool, array[int]]] = []
            in_deed: list[tuple[str, float]] = []
            for char, sim in query[i].ranked:
                postings = unit.name_postings.get(char)
                if postings is not None and sim * NAME_WEIGHT > floor:
                    options.append((sim * NAME_WEIGHT, True, postings))
                postings = unit.deed_postings.get(char)
                if postings is not None and sim * DEED_WEIGHT > floor:
                    options.append((sim * DEED_WEIGHT, False, postings))
                    in_deed.append((char, sim * DEED_WEIGHT))
            self.groups.append(_grouped(options))
            in_name = {c: s * NAME_WEIGHT for c, s in query[i].similar.items()}
            self.words.append((floor, in_name, tuple(in_deed)))
        # The words that should name the nominee (titles such as "phuong" seldom do): the
        # coverage is the share of the longer of the name and these words that matched.
        self.count = max(1, sum(1 for floor in self.floors if not floor))
        self.read = [0] * len(self.groups)
        self.worth = [g[0][0] if g else f for g, f in zip(self.groups, self.floors, strict=True)]
        self.name_worth = [g[0][3] if g else 0.0 for g in self.groups]

    def bound(self) -> float:
        """Return the most that a nomination of the unit not scored yet can score."""
        if self.done:
            return float("-inf")
        return self.base + sum(self.worth) + _coverage_bound(sum(self.name_worth), self.count)

    def next_gain(self) -> float | None:
        """Return how much the next read lowers the bound per nomination; None if all read."""
        return self._next()[1]

    def _next(self) -> tuple[int, float | None]:
        chosen, best = 0, None
        share = NAME_COVERAGE_WEIGHT / self.count
        for i, groups in enumerate(self.groups):
            at = self.read[i]
            if at < len(groups):
                after, name_after = self._after(i, at)
                lowered = self.worth[i] - after + share * (self.name_worth[i] - name_after)
                gain = lowered / (groups[at][2] + 1)
                if best is None or gain > best:
                    chosen, best = i, gain
        return chosen, best

    def _after(self, i: int, at: int) -> tuple[float, float]:
        """Return the word's worth and name worth once its group ``at`` is read."""
        groups = self.groups[i]
        if at + 1 < len(groups):
            return groups[at + 1][0], groups[at + 1][3]
        return self.floors[i], 0.0

    def read_next(self, ranking: _Ranking) -> None:
        """Score the nominations of the next group worth reading.

        Without an indispensable word, that is the group that lowers the bound most per
        nomination read. Once the bar makes words indispensable (no nomination lacking
        one can reach it), only their groups are read, smallest first, and a large group
        is first filtered down to the nominations that also have the other indispensable
        words (set lookups, far cheaper than scoring).
        """
        bar = ranking.bar - _EPSILON
        self._prune(bar)
        required = self._required(bar)
        if not required:
            chosen, gain = self._next()
            if gain is not None:  # else pruning left nothing to read
                self._advance(chosen, ranking, ())
            return
        unread = [i for i in required if self.read[i] < len(self.groups[i])]
        if len(unread) < len(required):
            # Every nomination that has that indispensable word is scored already.
            self.done = True
            return
        chosen = min(required, key=lambda i: self.groups[i][self.read[i]][2])
        others = [i for i in required if i != chosen]
        size = self.groups[chosen][self.read[chosen]][2]
        if others and size * (1.0 - self._share(others)) > self._union_cost(others):
            self._advance(chosen, ranking, [self._union(i) for i in others])
        else:
            self._advance(chosen, ranking, ())

    def _advance(self, word: int, ranking: _Ranking, filters: Sequence[set[int]]) -> None:
        """Read the word's next group, keeping only nominations found in every filter."""
        at = self.read[word]
        self.read[word] = at + 1
        self.worth[word], self.name_worth[word] = self._after(word, at)
        for postings in self.groups[word][at][1]:
            if filters:
                self._score(set(postings).intersection(*filters), ranking)
            else:
                self._score(postings, ranking)

    def _share(self, words: list[int]) -> float:
        """Estimate the share of the unit's nominations that have all ``words``."""
        units = max(1, len(self.slots))
        share = 1.0
        for i in words:
            share *= min(1.0, sum(group[2] for group in self.groups[i]) / units)
        return share

    def _union_cost(self, words: list[int]) -> float:
        """Return what building the sets not built yet costs, in nominations scored."""
        return _SET_COST * sum(
            sum(group[2] for group in self.groups[i]) for i in words if i not in self.unions
        )

    def _union(self, word: int) -> set[int]:
        """Return (and keep) the nominations under any group of ``word``."""
        union = self.unions.get(word)
        if union is None:
            union = self.unions[word] = set()
            for group in self.groups[word]:
                for postings in group[1]:
                    union.update(postings)
        return union

    def _prune(self, bar: float) -> None:
        """Drop each word's groups that are worth too little for a hit, whatever else matches.

        With "nguyen van binh" typed right and the bar at 3.2 words, a nomination whose
        best for "binh" is "Minh" (0.675) reaches 3.12 at most: the near spellings of
        "binh" need not be read, nor intersected.
        """
        total, names, count = sum(self.worth), sum(self.name_worth), self.count
        for i, groups in enumerate(self.groups):
            others = self.base + total - self.worth[i]
            other_names = names - self.name_worth[i]
            while len(groups) > self.read[i]:
                worth, _, _, name_worth = groups[-1]
                if others + worth + _coverage_bound(other_names + name_worth, count) >= bar:
                    break
                groups.pop()
            if self.read[i] >= len(groups):
                self.worth[i], self.name_worth[i] = self.floors[i], 0.0

    def _required(self, bar: float) -> list[int]:
        """Return the words without which no unscored nomination can reach ``bar``."""
        total, names = sum(self.worth), sum(self.name_worth)
        required = []
        for i, floor in enumerate(self.floors):
            without = total - self.worth[i] + floor
            cover = _coverage_bound(names - self.name_worth[i], self.count)
            if self.base + without + cover < bar:
                required.append(i)
        return required

    def _score(self, slots: Iterable[int], ranking: _Ranking) -> None:
        """Score the nominations not scored yet; this loop is where the time goes."""
        names, deeds, words, base = self.names, self.deeds, self.words, self.base
        scored, top = ranking.scored, ranking.top
        count = self.count
        for slot in slots:
            if slot in scored:
                continue
            name = names[slot]
            deed = deeds[slot]
            raw = base
            covered = 0.0
            taken = ""
            for floor, in_name, in_deed in words:
                best = 0.0
                match = ""
                for char in name:
                    found = in_name.get(char)
                    if found is not None and found > best:
                        best, match = found, char
                if match:
                    # One word of the name answers one query word: "nguyen minh nguyen"
                    # needs two Nguyễn in the name.
                    if match in taken and name.count(match) <= taken.count(match):
                        best = max(
                            (in_name.get(c, 0.0) for c in name if c not in taken), default=0.0
                        )
                    taken += match
                covered += best
                if best < floor:
                    best = floor
                for char, worth_in_deed in in_deed:
                    if worth_in_deed <= best:
                        break
                    if char in deed:
                        best = worth_in_deed
                        break
                raw += best
            if name:
                raw += NAME_COVERAGE_WEIGHT * min(1.0, covered / max(len(name), count))
            scored[slot] = raw
            if raw > top[0]:
                heapq.heapreplace(top, raw)
                if raw > ranking.best:
                    ranking.best = raw

    def score_the_rest(self, ranking: _Ranking) -> None:
        """Score the unit's unread nominations: every list is read, they match no free word."""
        rest = self.base + sum(self.floors)
        if rest >= ranking.bar - _EPSILON:
            scored = ranking.scored
            for slot in self.slots:
                if slot not in scored:
                    ranking.note(slot, rest)
        self.done = True


def _coverage_bound(name_worth: float, words: int) -> float:
    """Return the most the name coverage can add when name matches are worth at most that."""
    return NAME_COVERAGE_WEIGHT * min(1.0, name_worth / words)


def _grouped(options: list[tuple[float, bool, array[int]]]) -> list[_Group]:
    """Group (worth, in the name?, posting list) by equal worth, most valuable first."""
    options.sort(key=lambda option: -option[0])
    merged: list[tuple[float, list[array[int]], int, bool]] = []
    for worth, in_name, postings in options:
        if merged and merged[-1][0] - worth < _EPSILON:
            top, lists, size, has_name = merged[-1]
            lists.append(postings)
            merged[-1] = (top, lists, size + len(postings), has_name or in_name)
        else:
            merged.append((worth, [postings], len(postings), in_name))
    groups: list[_Group] = []
    name_worth = 0.0
    for worth, lists, size, has_name in reversed(merged):
        if has_name:
            name_worth = max(name_worth, worth)
        groups.append((worth, lists, size, name_worth))
    groups.reverse()
    return groups


def _post(postings: dict[str, array[int]], chars: Iterable[str], slot: int) -> None:
    for char in chars:
        slots = postings.get(char)
        if slots is None:
            postings[char] = array("I", (slot,))
        else:
            slots.append(slot)


def _query_words(query: str) -> list[str]:
    return fold(query).split()[:MAX_QUERY_WORDS]


def _decoded(words: list[str]) -> list[str]:
    """Return the folded query words with Telex/VNI leftovers decoded, one for one."""
    decoded = fold(decode_leftovers(" ".join(words))).split()
    return decoded if len(decoded) == len(words) else words


def _code_spans(words: list[str]) -> Iterator[tuple[TrackingCode, int, int]]:
    """Yield (code, first word, words) of each run of words that reads as a tracking code.

    A code is typed as one word ("ntabcdefgh") or two or three ("nt abcd efgh" after
    folding "NT-ABCD-EFGH"); the longest runs come first, then the leftmost.
    """
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            code = parse_tracking_code(" ".join(words[start : start + size]))
            if code is not None:
                yield code, start, size


def _excerpted(entry: SearchEntry) -> SearchEntry:
    """Return the entry with its deed cut to :data:`DEED_EXCERPT_CHARS` characters."""
    if len(entry.deed) <= DEED_EXCERPT_CHARS:
        return entry
    return replace(entry, deed=entry.deed[: DEED_EXCERPT_CHARS - 1].rstrip() + "…")


def _titles_before(words: list[str], start: int, titles: frozenset[_Phrase]) -> int:
    """Count the words of the unit's titles typed right before ``start``: "ubnd phuong"."""
    taken = 0
    matched = True
    while matched:
        matched = False
        for title in titles:
            begin = start - taken - len(title)
            if begin >= 0 and tuple(words[begin : start - taken]) == title:
                taken += len(title)
                matched = True
                break
    return taken


def _discard(postings: dict[str, array[int]], char: str, slot: int) -> None:
    slots = postings[char]
    slots.remove(slot)
    if not slots:
        del postings[char]
