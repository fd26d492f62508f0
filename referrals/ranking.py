"""The model behind "who can introduce you" (docs/ranking.md explains and defends it).

A path's score is the chance that its whole chain of introductions happens: the rep's ask
to the first person (how the rep reaches them, fading with the time since the team last
touched them, times their disposition: client, green light or not yet, how they answered
earlier asks) times, for each tie after it, that tie's chance of carrying one more favour
(growing with its strength). A path that runs through someone already ours (a team client,
a teammate, the rep) is asked from that person on, so it scores as that shorter chain.

Pure Python: referrals.connectors finds the paths and fills in what the model reads; the
page, the API, the roster, the rep's week and the digest all rank with ``evaluate`` and
``rank_key``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from contacts.models import ContactKind

# --- The parameters (docs/ranking.md says where each comes from) -----------------------------

# The chance that a tie of each strength carries one favour (an introduction asked of one
# person to the next). Strangers in small-world chains passed on about a third of the time
# (Dodds et al. 2003), acquaintances about three in four (Travers & Milgram 1969).
TIE_CHANCE = {1: 0.30, 2: 0.45, 3: 0.60, 4: 0.75, 5: 0.90}
# How the rep reaches the first person when no tie of their own is recorded.
REACH_TEAMMATE = 0.90  # a teammate's own record: a colleague does it for you
REACH_OWN_CONTACT = TIE_CHANCE[3]  # someone the rep looks after
REACH_TEAM_CONTACT = TIE_CHANCE[2]  # a teammate's contact, reached through that teammate
# The first step fades with the time since the team last touched the person: the floor
# for a touch long ago or none on record, halfway back to full after the half-life.
FADE_FLOOR = 0.60
FADE_HALF_LIFE_DAYS = 90
# Disposition of the first person: their kind, then the latest readiness conversation,
# then how they answered earlier asks; capped at 1.
KIND_DISPOSITION = {
    ContactKind.CLIENT: 0.80,
    ContactKind.FORMER_CLIENT: 0.65,
    ContactKind.COLLEAGUE: 0.65,
    ContactKind.PARTNER: 0.65,
    ContactKind.PROSPECT: 0.50,
    ContactKind.OTHER: 0.50,
}
GREEN_LIGHT = 1.25
NOT_YET = 0.60  # the latest readiness conversation did not give the green light
# Earlier asks: (yes + 1) / (asked + 2), relative to the prior one half; yes = the
# introduction was made (confirmed or later), no = declined.
DISPOSITION_CAP = 1.0

# How a rep says how well one person knows another.
KNOWS = {
    1: "{one} barely {know} {other}",
    2: "{one} {know} {other} a little",
    3: "{one} {know} {other} fairly well",
    4: "{one} {know} {other} well",
    5: "{one} {know} {other} very well",
}
YOU_KNOW_THEM = "You know {name} yourself: no introduction needed."


def is_ours(person, *, user) -> bool:
    """Someone the team needs no introduction to: a member's own record (the rep's or a
    teammate's) or a client of the team."""
    return person.user_id is not None or person.kind == ContactKind.CLIENT


def start_of(path: list, *, user) -> int | None:
    """Where the asks begin on a path [C, …, target]: the last person before the target
    who is already ours (after the rep's own record, the person the rep knows), else C.
    None when the rep's own record is next to the target: no introduction needed."""
    start = 0
    for index, person in enumerate(path[:-1]):
        if person.user_id is not None and person.user_id == user.pk:
            start = index + 1
        elif index > 0 and is_ours(person, user=user):
            start = index
    return None if start >= len(path) - 1 else start


def fade(last_touch: date | datetime | None, *, today: date) -> float:
    """1 for a touch today, FADE_FLOOR for none on record, halving the gap above the floor
    every FADE_HALF_LIFE_DAYS."""
    if last_touch is None:
        return FADE_FLOOR
    day = last_touch.date() if isinstance(last_touch, datetime) else last_touch
    days = max(0, (today - day).days)
    return FADE_FLOOR + (1 - FADE_FLOOR) * 0.5 ** (days / FADE_HALF_LIFE_DAYS)


def reach(person, *, user) -> float:
    """How the rep gets to the first person, before fading: the rep's own tie, or the
    team's hold on them (theirs, a teammate's contact, a teammate)."""
    return reach_of(person.user_id, person.owner_id, person.rep_tie, user=user)


def reach_of(user_id: int | None, owner_id: int | None, rep_tie: int | None, *, user) -> float:
    """`reach` from the three values it reads (for rows not yet made into people)."""
    if user_id is not None:
        return REACH_TEAMMATE
    base = REACH_OWN_CONTACT if owner_id == user.pk else REACH_TEAM_CONTACT
    if rep_tie:
        return max(base, TIE_CHANCE[rep_tie])
    return base


def answers(person) -> float:
    asked = person.asks_yes + person.asks_no
    return (person.asks_yes + 1) / (asked + 2) / 0.5


def disposition(person) -> float:
    if person.user_id is not None:
        return 1.0
    value = KIND_DISPOSITION.get(person.kind, KIND_DISPOSITION[ContactKind.OTHER])
    if person.green_light is True:
        value *= GREEN_LIGHT
    elif person.green_light is False:
        value *= NOT_YET
    value *= answers(person)
    return min(DISPOSITION_CAP, value)


@dataclass(frozen=True)
class Factor:
    """One factor of the chance, with the words a rep would use for it."""

    words: str
    value: float


@dataclass(frozen=True)
class Verdict:
    start: int | None  # where the asks begin (start_of); None: the rep knows the target
    score: float  # the chance, 0–1
    factors: tuple[Factor, ...]
    reason: str


def knows(one: str, other: str, strength: int) -> str:
    return KNOWS[strength].format(one=one, other=other, know="know" if one == "You" else "knows")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ago(last_touch, today: date) -> str:
    if last_touch is None:
        return "no touch on record"
    day = last_touch.date() if isinstance(last_touch, datetime) else last_touch
    days = max(0, (today - day).days)
    if days == 0:
        return "in touch today"
    if days < 60:
        return f"last in touch {days} day{'s' if days != 1 else ''} ago"
    if days < 730:
        return f"last in touch {days // 30} months ago"
    return "last in touch years ago"


def _first_words(person, *, user) -> str:
    """How the rep gets to the first person, as a rep says it."""
    if person.user_id is not None:
        return f"{person.full_name} is on your team"
    own = REACH_OWN_CONTACT if person.owner_id == user.pk else REACH_TEAM_CONTACT
    if person.rep_tie and TIE_CHANCE[person.rep_tie] >= own:
        return knows("You", person.first_name, person.rep_tie)
    kind = "client" if person.kind == ContactKind.CLIENT else "contact"
    if person.owner_id == user.pk:
        return f"{person.full_name} is your {kind}"
    owner = person.owner_name or "a teammate"
    return f"{person.full_name} is {owner}'s {kind}: ask through {owner.split(' ')[0]}"


def _disposition_words(person) -> list[str]:
    words = []
    if person.user_id is not None:
        return words
    if person.green_light is True:
        words.append(f"{person.first_name} gave you the green light")
    elif person.green_light is False:
        words.append(f"{person.first_name} is not ready to be asked yet")
    asked = person.asks_yes + person.asks_no
    if asked:
        words.append(
            f"{person.first_name} made {person.asks_yes} of the {asked} "
            f"introduction{'s' if asked != 1 else ''} asked before"
        )
    return words


# How many decimal places of a chance count: beyond them, float rounding, not the chain.
CHANCE_DIGITS = 12


def chance(path: list, strengths: list[int], *, user, today: date) -> tuple[int | None, float]:
    """(where the asks begin, the chance) for a path [C, …, target] whose ties have
    `strengths`: the number alone, for ranking every path found; `evaluate` explains it."""
    start = start_of(path, user=user)
    if start is None:
        return None, 1.0
    first = path[start]
    value = reach(first, user=user) * fade(first.last_touch, today=today) * disposition(first)
    for strength in strengths[start:]:
        value *= TIE_CHANCE[strength]
    # The same chain multiplied in another order differs in the last bits (0.06075 and
    # 0.060750000000000005): rounded, equal chances are equal, and the list shown in
    # rank_key's order is in the order of the chances it shows.
    return start, round(value, CHANCE_DIGITS)


def ceiling(first_reach: float, strengths: list[int]) -> float:
    """The most `chance` can give a path asked from its first person, whatever that
    person's touches and disposition (each at most 1): how the rep reaches them
    (`reach`) times the ties. For leaving out paths that cannot beat one already found,
    before the work of `chance`."""
    value = first_reach
    for strength in strengths:
        value *= TIE_CHANCE[strength]
    return value


def evaluate(path: list, strengths: list[int], *, user, today: date) -> Verdict:
    """The chance for a path [C, …, target] whose ties have `strengths` (one per step)."""
    start = start_of(path, user=user)
    if start is None:
        return Verdict(None, 1.0, (), YOU_KNOW_THEM.format(name=path[-1].full_name))
    first = path[start]
    touched = first.last_touch
    factors = [
        Factor(_first_words(first, user=user), reach(first, user=user)),
        Factor(_sentence(_ago(touched, today)), fade(touched, today=today)),
    ]
    kind_words = ", ".join([first.kind_label.lower(), *_disposition_words(first)])
    factors.append(Factor(f"{first.first_name}: {kind_words}", disposition(first)))
    chain = []
    for index in range(start, len(path) - 1):
        one, other, strength = path[index], path[index + 1], strengths[index]
        words = knows(one.first_name, other.first_name, strength)
        chain.append(words)
        factors.append(Factor(words, TIE_CHANCE[strength]))
    score = math.prod(factor.value for factor in factors)
    sentences = []
    after_rep = start > 0 and path[start - 1].user_id == user.pk
    if start > 0 and not after_rep and first.user_id is None:
        sentences.append(
            f"{first.full_name} is already your team's client: go to {first.first_name} "
            "directly, no introduction needed."
        )
    elif start > 0 and not after_rep:
        sentences.append(f"{first.full_name} is on your team: ask {first.first_name}.")
    sentences.append(f"{factors[0].words}; " + "; ".join(chain) + ".")
    extra = _disposition_words(first)
    if extra:
        sentences.append(_sentence("; ".join(extra)) + ".")
    sentences.append(_sentence(_ago(touched, today)) + ".")
    return Verdict(start, score, tuple(factors), " ".join(sentences))


def rank_key(score: float, hops: int, name: str, pk: int):
    """Best chance first; at an equal chance (the same chain, e.g. a path that goes through
    someone already ours and that person's own) fewer favours, then the name. `score` is
    chance()'s, rounded where it is made, so equal chains compare equal here."""
    return (-score, hops, name.lower(), pk)
