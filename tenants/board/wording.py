"""How the board reads a post's words (docs/board-matching.md): its language, its content
words and when two words mean the same thing despite the way residents write.

Pure functions, no database: the indexing job and the tests call them directly.

- **Language**: Dutch or English, by which language's function words the post uses (a
  post without any is taken as Dutch, the boards' language).
- **Content words**: lower case, accents folded, function words of both languages, the
  board's filler words ("help", "zoek", "even", "per") and place names left out, then
  stemmed with the Snowball stemmer of the post's language.
- **Same word**: equal stems; one the start or the end of the other (compounds split or
  joined: "energie rekening" and "energierekening", "boor" and "boormachine"; Dutch
  inflection the stemmer misses: "fiet" and "fiets"); a long shared start ("repar" in
  repareren, reparatie, reparateur); or one typing error apart (electricien, elektricien).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz.distance import DamerauLevenshtein

# Snowball's Dutch and English stop lists, with the spellings residents use (mn, ff, t).
DUTCH_FUNCTION_WORDS = frozenset(
    """aan af al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een
    eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is
    ja je jij jou jouw jullie kan kon kunnen maar me meer men met mij mijn mn m'n moet na naar niet
    niets nog nu of om omdat ons onze ook op over reeds te tegen toch toen tot u uit uw van veel voor
    want waren was wat we wel werd wezen wie wil worden wordt zal ze zelf zich zij zijn zo zonder zou
    graag even ff t 'n heel echt erg wat wel hoe waar wanneer ofzo enzo zo'n keer aub svp a.u.b""".split()
)
ENGLISH_FUNCTION_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you
    your yours i'm i'd i'll it's don't can't anyone someone anybody somebody please thanks""".split()
)
# Words every post uses to ask or offer: they say nothing about what is asked or offered.
BOARD_FILLER_WORDS = frozenset(
    """help helpen hulp hulpje zoek zoeken gezocht zoekt nodig vraag vragen aanbod bied bieden biedt
    iemand wie welke kunnen kan mag willen wil wilt graag even ff eventjes effe per sinds steeds weer
    keer week weken dag dagen maand jaar tijd soms vaak nog al alleen samen buurt wijk buren buurman
    buurvrouw bewoner bewoners mensen iedereen gratis euro prijs klein kleine groot grote leuk fijn
    goed nieuwe nieuw oud oude af toe tip tips vrijwilliger vrijwilligers ervaring beschikbaar
    looking need needed help helping offer offering available free please anyone someone neighbour
    neighbours neighbourhood area week weeks day days time small big nice good new old""".split()
)
# Places name where, not what: the area field and the lab already say where.
PLACE_NAMES = frozenset(
    """rotterdam amsterdam utrecht den haag schiedam vlaardingen dordrecht delft leiden zuid noord
    feijenoord charlois katendrecht afrikaanderwijk tarwewijk bloemhof hillesluis vreewijk
    carnisse zuidwijk pendrecht lombardijen ijsselmonde kop van zuid maashaven hillevliet
    zuiderpark putselaan brede hilledijk""".split()
)
STOP = DUTCH_FUNCTION_WORDS | ENGLISH_FUNCTION_WORDS | BOARD_FILLER_WORDS | PLACE_NAMES

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_STEMMERS = {"nl": "dutch", "en": "english"}


def fold(text: str) -> str:
    """Lower case without accents: "beëdigd" and "beedigd" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def detect_language(text: str) -> str:
    """'en' when more English than Dutch function words occur, else 'nl'."""
    found = words(text)
    english = sum(w in ENGLISH_FUNCTION_WORDS and w not in DUTCH_FUNCTION_WORDS for w in found)
    dutch = sum(w in DUTCH_FUNCTION_WORDS and w not in ENGLISH_FUNCTION_WORDS for w in found)
    return "en" if english > dutch else "nl"


@lru_cache(maxsize=2)
def _stemmer(language: str):
    return snowballstemmer.stemmer(_STEMMERS.get(language, "dutch"))


def content_terms(text: str, language: str) -> list[str]:
    """The stems of the words that say what a text is about, in reading order, once each."""
    stemmer = _stemmer(language)
    seen: dict[str, None] = {}
    for word in words(text.replace("-", "")):  # "koffie-ochtend" is one word, as "koffieochtend"
        if len(word) < 3 or word in STOP:
            continue
        stem = stemmer.stemWord(word)
        if len(stem) >= 3 and stem not in STOP:
            seen.setdefault(stem, None)
    return list(seen)


@lru_cache(maxsize=200_000)
def same_word(a: str, b: str) -> float:
    """How surely two stems are the same word: 1, 0.8 (compound part, inflection, typo), 0.6
    (a long shared start), else 0."""
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and (long_.startswith(short) or long_.endswith(short)):
        return 0.8
    if len(short) >= 5 and DamerauLevenshtein.distance(a, b, score_cutoff=1 if len(short) < 8 else 2) <= (
        1 if len(short) < 8 else 2
    ):
        return 0.8
    if _shared_start(a, b) >= 5 or _shared_start(a[::-1], b[::-1]) >= 6:
        return 0.6  # repar-eren/-atie; katten-oppas and dieren-oppas (the compound's head)
    return 0.0


def _shared_start(a: str, b: str) -> int:
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared


@dataclass(frozen=True)
class Terms:
    """A post's content terms: its title's and its body's."""

    title: tuple[str, ...]
    body: tuple[str, ...]

    @classmethod
    def of(cls, title: str, body: str, language: str) -> Terms:
        head = content_terms(title, language)
        return cls(tuple(head), tuple(t for t in content_terms(body, language) if t not in head))

    def weighted(self) -> list[tuple[str, float]]:
        """Title words count twice as much as body words (people put what they need first)."""
        return [(t, 2.0) for t in self.title] + [(t, 1.0) for t in self.body]


def rarity(document_frequency: int, documents: int) -> float:
    """Inverse document frequency: a word in every post weighs little, a rare one much."""
    return math.log(1 + (documents + 1) / (document_frequency + 1))


def coverage(mine: Terms, theirs: Terms, weight_of) -> float:
    """Which share of my terms (weighted by position and rarity) the other post has, each
    term counted with its surest match; 0 to 1."""
    their_terms = theirs.title + theirs.body
    if not their_terms:
        return 0.0
    total = found = 0.0
    for term, position in mine.weighted():
        weight = position * weight_of(term)
        total += weight
        best = 1.0 if term in their_terms else max(same_word(term, other) for other in their_terms)
        found += weight * best
    return found / total if total else 0.0
