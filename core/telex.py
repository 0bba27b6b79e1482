"""Vietnamese typed with the input method off: Telex and VNI leftovers, decoded.

With the keyboard's input method switched off (or set to the other method), "Hàng Bạc"
arrives as "Hangf Bacj" (Telex: the tone as a letter after the syllable) or "Ha2ng Ba5c"
(VNI: the tone as a digit). :func:`decode_leftovers` turns such words back into Vietnamese
before they are matched; every other word is left exactly as typed.

A word is decoded only when it carries a sign of an input method and decodes to a
well-formed Vietnamese syllable (a known onset and rhyme, a stop coda with a rising or
heavy tone only). The signs:

- strong: a Telex tone letter that is no Vietnamese letter (f, j), a doubled vowel (aa, ee,
  oo), a w after a vowel (aw, ow, uw), dd; a VNI digit inside the word ("Ba5c") or two of
  them ("Vie65t");
- weak: only a trailing s, r or x ("Lys", "box", "has"), or one VNI digit at the end
  ("Ho1"). English words and codes look like this, so a weak word is decoded only beside a
  strong one in the same text ("Nguyeenx Thij Lys"), never alone.

Words with digits first ("8h", "20"), with letters outside ASCII (already marked), of
one letter ("A1"), or in a tracking code ("NT-HA2G-BA5C") are never touched. Callers that
can afford it match both the text as typed and as decoded: decoding is a guess, and a
guess must not lose the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

# Combining marks: the five tones and the three vowel modifiers.
_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"

_TELEX_TONES = {"s": _ACUTE, "f": _GRAVE, "r": _HOOK, "x": _TILDE, "j": _DOT}
_VNI_TONES = {"1": _ACUTE, "2": _GRAVE, "3": _HOOK, "4": _TILDE, "5": _DOT}
# Stop codas (c, ch, p, t) take only the rising or the heavy tone: "bạc", "bác", never "bàc".
_STOP_TONES = frozenset({"", _ACUTE, _DOT})
_STOP_CODAS = frozenset({"c", "ch", "p", "t"})
_VOWELS = frozenset("aeiouy")

_ONSET_TABLE = "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x"
_ONSETS = frozenset(["", *_ONSET_TABLE.split()])
# Every rhyme of standard Vietnamese, without its tone (after qu- and gi- too: "quy" is
# qu + y, "quynh" qu + ynh). Any other vowel-and-coda sequence is not a syllable.
_RHYME_TABLE = """
    a ai ao au ay ac ach am an ang anh ap at
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e eo ec em en eng ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
    oc oe oen oeo oet oi om on ong op ot
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uân uâng uât uây uc uê uêch uênh ui um un ung up ut uy uya uych uyên uyêt
    uynh uyt uyu uôc uôi uôm uôn uông uôt uơ
    ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
    y yêm yên yêng yêt yêu ych ynh yt
"""
_RHYMES = frozenset(unicodedata.normalize("NFC", rhyme) for rhyme in _RHYME_TABLE.split())

_WORD = re.compile(r"[A-Za-z0-9]+")
# A tracking code, NT-XXXX-XXXX, typed any way: its parts are symbols, never syllables
# ("NT-HA2G-BA5C" is no "Bạc").
_CODE = re.compile(r"\bnt[\W_]*[0-9a-z]{4}[\W_]*[0-9a-z]{4}\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Decoded:
    text: str
    strong: bool


@dataclass(slots=True)
class _Vowel:
    letter: str
    modifier: str = ""


def decode_leftovers(text: str) -> str:
    """Return ``text`` with its Telex and VNI leftovers decoded, in NFC; the rest as typed.

    "Hangf Bacj" and "Ha2ng Ba5c" give "Hàng Bạc", "Nguyeenx Vawn Binhf" gives "Nguyễn
    Văn Bình"; "Thanh", "NT-ABCD-EFGH", "20/11", "has" and "ss" stay as they are.
    """
    found: dict[tuple[int, int], _Decoded] = {}
    codes = [match.span() for match in _CODE.finditer(text)]
    for match in _WORD.finditer(text):
        if any(start <= match.start() < end for start, end in codes):
            continue
        decoded = decode_word(match.group())
        if decoded is not None:
            found[match.span()] = decoded
    if not any(d.strong for d in found.values()):
        return text
    out, at = [], 0
    for (start, end), decoded in sorted(found.items()):
        out.append(text[at:start])
        out.append(decoded.text)
        at = end
    out.append(text[at:])
    return unicodedata.normalize("NFC", "".join(out))


def decode_word(word: str) -> _Decoded | None:
    """Return one ASCII word decoded as Telex or VNI, or None if it is neither."""
    if len(word) < 2 or not word.isascii() or not word[0].isalpha():
        return None
    lower = word.lower()
    syllable = _telex(lower) if lower.isalpha() else _vni(lower)
    if syllable is None:
        return None
    text, strong = syllable
    return _Decoded(_cased(text, word), strong)


def _cased(decoded: str, typed: str) -> str:
    if typed.isupper():
        return decoded.upper()
    if typed[0].isupper():
        return decoded[0].upper() + decoded[1:]
    return decoded


def _telex(word: str) -> tuple[str, bool] | None:
    onset_end = _onset_end(word)
    onset, rest = word[:onset_end], word[onset_end:]
    strong = False
    if onset.startswith("dd"):
        onset, strong = "đ" + onset[2:], True
    vowels: list[_Vowel] = []
    coda = ""
    tone = ""
    for i, char in enumerate(rest):
        if char in _TELEX_TONES and (vowels or coda):
            if tone:
                return None  # "ss", "sf": a doubled tone letter undoes the tone in Telex
            tone = _TELEX_TONES[char]
            strong = strong or char in "fj"
        elif char == "w":
            if not _add_w(vowels, coda):
                return None
            strong = True
        elif char in _VOWELS:
            if coda:
                return None  # a vowel after the coda: not one syllable
            previous = rest[i - 1] if i else ""
            if char in "aeo" and previous == char and vowels and not vowels[-1].modifier:
                vowels[-1].modifier = _CIRCUMFLEX  # aa, ee, oo
                strong = True
            else:
                vowels.append(_Vowel(char))
        else:
            coda += char
    if not (strong or tone):
        return None
    built = _syllable(onset, vowels, coda, tone)
    return (built, strong) if built is not None else None


def _add_w(vowels: list[_Vowel], coda: str) -> bool:
    """Apply Telex w: ă, ơ, ư, "uo" as ươ; a w with no vowel before it is ư itself."""
    if not vowels:
        if coda:
            return False
        vowels.append(_Vowel("u", _HORN))
        return True
    letters = "".join(v.letter for v in vowels)
    at = letters.rfind("uo")
    if at >= 0 and not vowels[at + 1].modifier:
        vowels[at].modifier = vowels[at + 1].modifier = _HORN
        return True
    for vowel in reversed(vowels):
        if vowel.letter in "aou" and not vowel.modifier:
            vowel.modifier = _BREVE if vowel.letter == "a" else _HORN
            return True
    return False


def _vni(word: str) -> tuple[str, bool] | None:
    letters = "".join(c for c in word if c.isalpha())
    digits = [(i, c) for i, c in enumerate(word) if c.isdigit()]
    if len(letters) < 2 or len(digits) > 3:
        return None
    onset_end = _onset_end(letters)
    onset, rest = letters[:onset_end], letters[onset_end:]
    vowel_letters = ""
    coda = ""
    for char in rest:
        if char in _VOWELS and not coda:
            vowel_letters += char
        elif char in _VOWELS:
            return None
        else:
            coda += char
    vowels = [_Vowel(c) for c in vowel_letters]
    tone = ""
    for _, digit in digits:
        if digit in _VNI_TONES:
            if tone:
                return None
            tone = _VNI_TONES[digit]
        elif digit in "678":
            if not _VNI_MODIFIERS[digit](vowels):
                return None
        elif digit == "9":
            if not onset.startswith("d"):
                return None
            onset = "đ" + onset[1:]
        elif digit == "0":
            return None
    inside = any(i < len(word) - 1 and word[i + 1].isalpha() for i, _ in digits)
    built = _syllable(onset, vowels, coda, tone)
    return (built, inside or len(digits) > 1) if built is not None else None


_VNI_MODIFIERS: dict[str, Callable[[list[_Vowel]], bool]] = {
    "6": lambda vowels: _modify_last(vowels, "aeo", _CIRCUMFLEX),
    "7": lambda vowels: _add_horn(vowels),
    "8": lambda vowels: _modify_last(vowels, "a", _BREVE),
}


def _modify_last(vowels: list[_Vowel], letters: str, modifier: str) -> bool:
    for vowel in reversed(vowels):
        if vowel.letter in letters and not vowel.modifier:
            vowel.modifier = modifier
            return True
    return False


def _add_horn(vowels: list[_Vowel]) -> bool:
    letters = "".join(v.letter for v in vowels)
    at = letters.find("uo")
    if at >= 0:
        vowels[at].modifier = vowels[at + 1].modifier = _HORN
        return True
    return _modify_last(vowels, "ou", _HORN)


def _onset_end(word: str) -> int:
    """Return where the leading consonants end (the first vowel, or w)."""
    for i, char in enumerate(word):
        if char in _VOWELS or char == "w":
            return i
    return len(word)


def _syllable(onset: str, vowels: list[_Vowel], coda: str, tone: str) -> str | None:
    """Return the syllable with its marks (NFC), or None if it is not a Vietnamese one."""
    if not vowels:
        return None
    if coda in _STOP_CODAS and tone not in _STOP_TONES:
        return None
    # qu- and gi- take the glide's letter: "quý" is qu + y, "giữa" gi + ưa, but "gìn" is
    # g + in and "giếng" g + iêng (no rhyme "ng" or "êng").
    splits = []
    if onset == "q" and vowels[0].letter == "u" and not vowels[0].modifier:
        splits.append(("qu", vowels[1:]))
    elif onset == "g" and vowels[0].letter == "i" and len(vowels) > 1:
        splits.append(("gi", vowels[1:]))
    splits.append((onset, vowels))
    for head, nucleus in splits:
        rhyme = _compose(nucleus, coda, "")
        if head in _ONSETS and nucleus and rhyme in _RHYMES:
            return unicodedata.normalize("NFC", head + _compose(nucleus, coda, tone))
    return None


def _compose(vowels: list[_Vowel], coda: str, tone: str) -> str:
    marked = [v for v in vowels if v.modifier]
    if marked:
        carrier = marked[-1]  # ươ: the ơ; iê, uô: the ê, ô
    elif coda or len(vowels) == 1:
        carrier = vowels[-1]  # "toán", "huỳnh"
    elif len(vowels) == 2:
        carrier = vowels[0]  # "mùa", "hòa", "thủy" (the placement most people write)
    else:
        carrier = vowels[1]  # "ngoài", "khuỷu"
    letters = "".join(v.letter + v.modifier + (tone if v is carrier else "") for v in vowels)
    return unicodedata.normalize("NFC", letters + coda)
