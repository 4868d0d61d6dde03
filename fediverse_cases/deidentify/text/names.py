"""People's names in free text: patients, relatives, staff, anyone ("his daughter Priya",
"Mary Jones", "mary jones", "Mr O'Brien", "Jean-Pierre Dubois").

Philter's approach without a part-of-speech model: a word is a name when the name lists know it
and it is not an ordinary word, when a first name is followed by a surname in any case, or when
the context says a person is meant (a title, a relative, "named", "X, a 45-year-old", "X said").
Eponyms and other clinical proper nouns are vetoed through the clinical safelist and through the
noun that follows them ("Bell's palsy", "Jones fracture", "circle of Willis").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .lexicon import (
    EPONYM_HEADS,
    EPONYM_OF_HEADS,
    EPONYMS,
    MONTHS,
    NOT_NAME_AFTER_CONTEXT,
    REGIONS,
    STOPWORDS,
    WEEKDAYS,
    NameLists,
    name_lists,
    words,
)
from .spans import PhiFinding

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")

TITLES = words(
    "mr mrs ms miss mx dr doctor prof professor sr sister nurse rev reverend sir dame lady lord father fr"
)
RELATIVES = words(
    """daughter son wife husband mother father mum mom mummy mommy dad daddy brother sister aunt
    auntie uncle niece nephew cousin grandmother grandfather grandma grandpa granny grandson
    granddaughter grandchild partner fiance fiancé fiancee fiancée girlfriend boyfriend friend
    neighbour neighbor colleague carer caregiver guardian baby infant twin spouse stepson
    stepdaughter stepmother stepfather widow widower sibling relative named called patient pt
    surgeon consultant registrar resident physician gp"""
)
# Words after a name that say a person is meant: "Priya said", "Kwame, a 45-year-old".
PERSON_VERBS = words(
    "said says told tells asked asks wrote mentioned phoned rang visited lives lived works worked "
    "died passed complained complains brought came went felt noticed wanted thinks thought"
)
DRUG_VERBS = words(
    "on started start starting stopped stop restarted commenced given giving taking takes took "
    "switched changed receiving received prescribed added iv oral po"
)
_DOSE_AFTER = re.compile(r"\s*\d[\d.,]*\s*(?:mg|g|mcg|µg|ug|ml|mL|units?|iu|IU|mmol|%)\b")
PARTICLES = words("van von de del della der den da di du le la bin ibn al el ben mac st ter")
# Capitalised like a name: "Oluwaseun", "O'Brien", "McAllister", "Al-Farsi".
_PROPER = re.compile(r"(?:[OD]['’]|Mc|Mac|Al-|El-)?[^\W\d_][^\W\d_A-Z]+(?:-[^\W\d_][^\W\d_A-Z]+)*")
# A grade or score right after a word: "Wells 6", "Weber B", "Forrest Ib", "Garden IV", "CURB-65".
_GRADE_AFTER = re.compile(
    r"(?:\s(?:[IV]{1,4}[a-c]?|[A-D][12]?|\d{1,2}(?:\.\d)?(?:/\d+)?)|-\d+)(?![\w/:.-]*\w)"
)
_AGE_AFTER = re.compile(
    r"\s*(?:,\s*(?:an?\s+)?\d{1,3}\s*-?\s*(?:year|yr|y\.?o|yo)|,\s*aged?\b"
    r"|\s*\(\s*(?:aged?\s*)?\d{1,3}\s*(?:y|yo|y/o|yrs?|years?(?:\s+old)?)?\s*[MF]?\s*\))"
)


_PREFIXES = words("o d mc mac al el")


def _fold(word: str) -> str:
    """Lower-case ASCII spelling: "Lucía" -> "lucia", "Müller" -> "muller"."""
    if word.isascii():
        return word
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")


_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:[A-Z]|Mr|Mrs|Ms|Dr|Prof|St|Sr|Fr|Rev|Mt|vs|e\.g|i\.e|approx|cf)\.$"
)


def _starts_sentence(before: str) -> bool:
    """The text before a word (trailing spaces and quotes removed) ends a sentence or a line;
    "J." and "Dr." are abbreviations, not sentence ends."""
    if not before:
        return True
    if before[-1] == ".":
        return _ABBREVIATION.search(before[-8:]) is None
    return before[-1] in "!?:;\n|>"


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    raw: str  # as written, possessive stripped
    low: str
    parts: tuple[str, ...]  # accent-folded, split at hyphens and apostrophes
    folded: str  # accent-folded, apostrophes dropped: the name lists are ASCII ("lucia", "obrien")
    cap: bool
    shouting: bool  # all capitals, as OCR'd labels and headings are
    initial: bool  # first word of a sentence or line


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _TOKEN.finditer(text):
        raw = m.group()
        end = m.end()
        for suffix in ("'s", "’s", "'S"):
            if raw.endswith(suffix) and len(raw) > len(suffix):
                raw = raw[: -len(suffix)]
                end -= len(suffix)
                break
        low = raw.lower()
        ascii_low = _fold(low)
        before = text[: m.start()].rstrip(" \t\"'“‘([*•-")
        tokens.append(
            _Token(
                start=m.start(),
                end=end,
                raw=raw,
                low=low,
                parts=tuple(p for p in re.split(r"[-'’]", ascii_low) if p),
                folded=re.sub(r"['’]", "", ascii_low),
                cap=raw[0].isupper(),
                shouting=raw.isupper() and len(raw) > 1,
                initial=_starts_sentence(before),
            )
        )
    return tokens


def _gap_is_space(text: str, a: _Token, b: _Token) -> bool:
    return text[a.end : b.start] in (" ", "  ")


class _Classifier:
    def __init__(self, text: str, tokens: list[_Token], lists: NameLists) -> None:
        self.text = text
        self.tokens = tokens
        self.lists = lists

    def listed(self, t: _Token) -> bool:
        if t.folded in self.lists.first or t.folded in self.lists.last:
            return True
        # "Jean-Pierre", "Al-Farsi", "O'Brien": every part that is not a prefix is a name.
        parts = [p for p in t.parts if p not in _PREFIXES]
        return bool(parts) and all(self.lists.is_name(p) for p in parts)

    def first(self, t: _Token) -> bool:
        return t.folded in self.lists.first or (bool(t.parts) and t.parts[0] in self.lists.first)

    def last(self, t: _Token) -> bool:
        return t.folded in self.lists.last or (bool(t.parts) and t.parts[-1] in self.lists.last)

    def ordinary(self, t: _Token) -> bool:
        return t.low in self.lists.ordinary or (
            len(t.parts) > 1 and all(p in self.lists.ordinary for p in t.parts)
        )

    def stop(self, t: _Token) -> bool:
        return (
            t.low in STOPWORDS or t.low in MONTHS or t.low in WEEKDAYS or t.low in REGIONS or len(t.low) < 2
        )

    def eponym(self, i: int) -> bool:
        """Token i names a disease, sign, score or structure rather than a person."""
        t = self.tokens[i]
        if t.low in EPONYMS or any(p in EPONYMS for p in t.parts):
            return True
        return self.eponym_phrase(i)

    def eponym_phrase(self, i: int) -> bool:
        """Token i stands where only an eponym can: before a head noun ("Ramsay Hunt syndrome",
        "Kayser-Fleischer rings"), before a grade ("Wells 6", "Weber B", "Garden IV"), or after
        "circle of"."""
        for j in range(i + 1, min(i + 4, len(self.tokens))):
            nxt = self.tokens[j]
            if nxt.low in EPONYM_HEADS or (nxt.low.endswith("s") and nxt.low[:-1] in EPONYM_HEADS):
                return True
            if not (nxt.cap or nxt.low in ("and",)):
                break
        if _GRADE_AFTER.match(self.text, self.tokens[i].end):
            return True
        return i >= 2 and self.tokens[i - 1].low == "of" and self.tokens[i - 2].low in EPONYM_OF_HEADS

    def context_before(self, i: int) -> str | None:
        """'title' or 'person' when the words before token i announce a person."""
        if i == 0:
            return None
        prev = self.tokens[i - 1]
        gap = self.text[prev.end : self.tokens[i].start]
        # "MR SMITH" on a label, but "MR Brain" is magnetic resonance.
        shouted_title_ok = not prev.shouting or self.tokens[i].shouting
        if prev.low in TITLES and gap.strip() in ("", ".") and "\n" not in gap and shouted_title_ok:
            return "title"
        if prev.low in RELATIVES and gap.strip() in ("", ",", ":") and "\n" not in gap:
            return "person"
        if prev.low in ("name", "names", "surname", "forename") and gap.strip() in (":", "=", "is", "was"):
            return "title"
        if prev.low in ("is", "was") and i >= 2 and self.tokens[i - 2].low == "name":
            return "title"
        return None

    def context_after(self, i: int) -> bool:
        t = self.tokens[i]
        if _AGE_AFTER.match(self.text, t.end):
            return True
        # "O'Brien, Fatima": a surname before a comma and a given name.
        if i + 1 < len(self.tokens) and self.text[t.end : self.tokens[i + 1].start] == ", ":
            nxt = self.tokens[i + 1]
            if nxt.cap and self.first(nxt) and not self.ordinary(nxt) and not self.eponym(i + 1):
                return True
        if i + 1 < len(self.tokens):
            nxt = self.tokens[i + 1]
            return nxt.low in PERSON_VERBS and _gap_is_space(self.text, t, nxt)
        return False

    def drug_context(self, i: int) -> bool:
        t = self.tokens[i]
        if i > 0 and self.tokens[i - 1].low in DRUG_VERBS:
            return True
        if _DOSE_AFTER.match(self.text, t.end):
            return True
        # "On Entresto, Jardiance and ...": a comma list continues the drug context.
        if i > 0 and self.text[self.tokens[i - 1].end : t.start] == ", " and self.drug_context(i - 1):
            return True
        # "on Keytruda and Tazocin", "metformin or Janumet": a list of drugs.
        if i > 1 and self.tokens[i - 1].low in ("and", "or", "plus", "then"):
            before = self.tokens[i - 2]
            if self.drug_context(i - 2):
                return True
            return not before.cap and self.ordinary(before) and not self.stop(before)
        return False

    def could_be_name(self, t: _Token) -> bool:
        """Shaped like a name: capitalised, or any case if the lists know it."""
        if self.stop(t) or t.low in NOT_NAME_AFTER_CONTEXT:
            return False
        return t.cap or (self.listed(t) and not self.ordinary(t))

    def is_name(self, i: int) -> bool:
        t = self.tokens[i]
        if self.stop(t):
            return False
        context = self.context_before(i)
        if context == "title" and self.could_be_name(t) and not self.eponym_phrase(i):
            return True
        # Short upper-case tokens are abbreviations (CT, MRI, LUL), not names.
        if t.shouting and len(t.raw) <= 3:
            return False
        if self.eponym(i):
            return False
        if context == "person" and self.could_be_name(t):
            return True
        listed, ordinary = self.listed(t), self.ordinary(t)
        if t.cap and (listed or not ordinary) and self.context_after(i):
            return True
        if listed and not ordinary:
            # Lower-case words need a second name or a context ("remark" is a surname too).
            # The lists hold many English words ("Beautiful", "Curb", "KRAS" are names too), so a
            # single listed word opening a sentence, or in capitals, needs a vocative comma or a
            # possessive; next to another name, the pair and extension rules catch it.
            if t.initial or t.shouting:
                return t.cap and self.text.startswith((", ", "'s", "’s"), t.end) and not t.shouting
            return t.cap
        # An unknown capitalised word mid-sentence is a proper noun: in a case comment, most
        # likely a person (a name the lists lack, from any culture), unless it reads as a drug
        # brand ("started Keytruda", "Tazocin 4.5 g").
        return (
            not self.drug_context(i)
            and t.cap
            and not t.initial
            and not t.shouting
            and not listed
            and not ordinary
            and len(t.low) >= 3
            and _PROPER.fullmatch(t.raw) is not None
        )

    def is_pair(self, i: int) -> bool:
        """A first name followed by a surname ("mary jones", "Grace Hope"), in any case."""
        if i + 1 >= len(self.tokens):
            return False
        a, b = self.tokens[i], self.tokens[i + 1]
        if not _gap_is_space(self.text, a, b) or self.stop(a) or self.stop(b):
            return False
        if not (self.first(a) and self.last(b)) or self.eponym(i) or self.eponym(i + 1):
            return False
        if b.low in PERSON_VERBS or b.low in NOT_NAME_AFTER_CONTEXT:
            return False
        if a.cap and b.cap:
            # "ANH OKAFOR" on a label; "CT CHEST" is no name because "chest" is an ordinary word.
            if (a.shouting and len(a.raw) <= 3) or (b.shouting and len(b.raw) <= 3):
                return a.shouting and b.shouting and len(b.raw) > 3 and not self.ordinary(b)
            return True
        # Lower case: both words must be lower case ("Priya came" is no pair) and neither an
        # ordinary word ("will mark", "tinea incognito").
        return not a.cap and not b.cap and not self.ordinary(a) and not self.ordinary(b)

    def continues(self, i: int) -> bool:
        """Token i extends the name before it: a surname, a particle, another given name."""
        t = self.tokens[i]
        if self.stop(t) and t.low not in PARTICLES:
            return False
        if t.low in PARTICLES:
            return i + 1 < len(self.tokens) and self.tokens[i + 1].cap
        if self.eponym(i) or t.low in NOT_NAME_AFTER_CONTEXT or t.low in PERSON_VERBS:
            return False
        if t.shouting and len(t.raw) <= 3:
            return False
        if t.cap:
            return self.listed(t) or not self.ordinary(t)
        # Lower-case words continue only a lower-case name ("mary jones smith"), never "Priya came".
        prev = self.tokens[i - 1]
        return not prev.cap and self.listed(t) and not self.ordinary(t)


def find_names(text: str) -> list[PhiFinding]:
    tokens = _tokens(text)
    if not tokens:
        return []
    c = _Classifier(text, tokens, name_lists())
    flagged = [False] * len(tokens)
    for i in range(len(tokens)):
        if c.is_pair(i):
            flagged[i] = flagged[i + 1] = True
        elif not flagged[i] and c.is_name(i):
            flagged[i] = True
    # Grow each name over the surnames, particles and initials around it, then join runs.
    for i in range(len(tokens)):
        # "KOWALCZYK, ANNA": a given name after a flagged surname and a comma.
        if flagged[i] and i + 1 < len(tokens) and text[tokens[i].end : tokens[i + 1].start] == ", ":
            nxt = tokens[i + 1]
            if nxt.cap and c.first(nxt) and not c.ordinary(nxt) and not c.stop(nxt):
                flagged[i + 1] = True
        if flagged[i]:
            j = i + 1
            while j < len(tokens) and _gap_is_space(text, tokens[j - 1], tokens[j]) and c.continues(j):
                flagged[j] = True
                j += 1
    findings: list[PhiFinding] = []
    i = 0
    while i < len(tokens):
        if not flagged[i]:
            i += 1
            continue
        start = tokens[i].start
        # Include a title or an initial written just before: "Dr. House", "J. Smith".
        if i > 0 and (tokens[i - 1].low in TITLES or (len(tokens[i - 1].raw) == 1 and tokens[i - 1].cap)):
            gap = text[tokens[i - 1].end : start]
            if gap.strip() in ("", ".") and "\n" not in gap:
                start = tokens[i - 1].start
        end = tokens[i].end
        j = i + 1
        while j < len(tokens) and flagged[j] and text[end : tokens[j].start].strip() in ("", "."):
            end = tokens[j].end
            j += 1
        findings.append(PhiFinding(start, end, "name"))
        i = j
    return findings
