"""What the generated data is made of: regions and their Faker locales, words of company
names per industry, job titles, how often each kind of person, tie, channel and cadence
occurs, the texts of notes, readiness checks and roster reasons, the ideal client
profiles; and the pools of human names drawn from Faker."""

import re
import unicodedata

from faker import Faker

from contacts.models import (
    Channel,
    ContactKind,
    Function,
    Industry,
    PersonType,
    RelationshipKind,
    RelationshipSource,
    UpdateCadence,
)
from referrals.models import Deal, Quality

# region, country, Faker locale, weight
REGIONS = [
    ("Northeast", "United States", "en_US", 14),
    ("Midwest", "United States", "en_US", 10),
    ("South", "United States", "en_US", 10),
    ("West", "United States", "en_US", 12),
    ("UK & Ireland", "United Kingdom", "en_GB", 10),
    ("DACH", "Germany", "de_DE", 9),
    ("Benelux", "Netherlands", "nl_NL", 6),
    ("Western Europe", "France", "fr_FR", 6),
    ("Nordics", "Sweden", "sv_SE", 5),
    ("Nordics", "Denmark", "da_DK", 4),
    ("Southern Europe", "Spain", "es_ES", 5),
    ("Southern Europe", "Italy", "it_IT", 5),
    ("CEE", "Poland", "pl_PL", 4),
]
INDUSTRY_WORDS = {
    Industry.SOFTWARE: ["Software", "Systems", "Labs", "Digital", "Cloud"],
    Industry.FINANCE: ["Capital", "Bank", "Financial", "Investments"],
    Industry.INSURANCE: ["Insurance", "Assurance", "Mutual"],
    Industry.HEALTHCARE: ["Health", "Medical", "Clinics", "Care"],
    Industry.MANUFACTURING: ["Manufacturing", "Industries", "Fabrication", "Works"],
    Industry.RETAIL: ["Retail", "Stores", "Market", "Outfitters"],
    Industry.LOGISTICS: ["Logistics", "Freight", "Transport", "Shipping"],
    Industry.ENERGY: ["Energy", "Power", "Utilities", "Solar"],
    Industry.PROFESSIONAL_SERVICES: ["Consulting", "Advisors", "Associates", "Partners"],
    Industry.REAL_ESTATE: ["Properties", "Construction", "Builders", "Realty"],
    Industry.EDUCATION: ["Academy", "Learning", "College", "Institute"],
    Industry.PUBLIC_SECTOR: ["Agency", "Authority", "Council", "Public Services"],
    Industry.MEDIA: ["Media", "Telecom", "Studios", "Networks"],
    Industry.HOSPITALITY: ["Hotels", "Travel", "Hospitality", "Resorts"],
    Industry.OTHER: ["Group", "Holdings", "Enterprises", "Company"],
}
TITLES = {
    # function: (senior titles, other titles)
    Function.EXECUTIVE: (
        ["CEO", "Managing Director", "COO", "President", "Founder"],
        ["Chief of Staff", "General Manager", "Director of Strategy"],
    ),
    Function.SALES: (
        ["VP Sales", "Chief Revenue Officer", "Sales Director"],
        ["Account Executive", "Sales Manager", "Key Account Manager"],
    ),
    Function.MARKETING: (
        ["CMO", "VP Marketing", "Head of Brand"],
        ["Marketing Manager", "Content Lead", "Growth Marketer"],
    ),
    Function.FINANCE: (
        ["CFO", "Finance Director", "VP Finance"],
        ["Controller", "Financial Analyst", "Head of FP&A"],
    ),
    Function.OPERATIONS: (
        ["VP Operations", "Head of Supply Chain", "Plant Director"],
        ["Operations Manager", "Logistics Coordinator", "Planning Lead"],
    ),
    Function.IT: (
        ["CTO", "CIO", "VP Engineering"],
        ["IT Manager", "Software Engineer", "Solutions Architect"],
    ),
    Function.HR: (
        ["Chief People Officer", "HR Director"],
        ["HR Business Partner", "Talent Acquisition Lead"],
    ),
    Function.PROCUREMENT: (
        ["Chief Procurement Officer", "Head of Purchasing"],
        ["Buyer", "Category Manager", "Procurement Specialist"],
    ),
    Function.LEGAL: (["General Counsel", "Head of Legal"], ["Legal Counsel", "Contract Manager"]),
    Function.OTHER: (["Director", "Partner"], ["Project Manager", "Consultant"]),
}
FUNCTION_WEIGHTS = {
    Function.EXECUTIVE: 14,
    Function.SALES: 12,
    Function.MARKETING: 9,
    Function.FINANCE: 11,
    Function.OPERATIONS: 15,
    Function.IT: 15,
    Function.HR: 6,
    Function.PROCUREMENT: 8,
    Function.LEGAL: 4,
    Function.OTHER: 6,
}
PERSON_TYPE_WEIGHTS = {
    PersonType.DECISION_MAKER: 20,
    PersonType.INFLUENCER: 25,
    PersonType.CHAMPION: 10,
    PersonType.USER: 35,
    PersonType.GATEKEEPER: 10,
}
KIND_WEIGHTS = {
    ContactKind.CLIENT: 22,
    ContactKind.PROSPECT: 48,
    ContactKind.FORMER_CLIENT: 6,
    ContactKind.COLLEAGUE: 6,
    ContactKind.PARTNER: 8,
    ContactKind.OTHER: 10,
}
# Who can be asked for an introduction, and how likely they are to be the one asked.
REFERRER_WEIGHT = {
    ContactKind.CLIENT: 3,
    ContactKind.FORMER_CLIENT: 2,
    ContactKind.PARTNER: 2,
    ContactKind.COLLEAGUE: 1,
    ContactKind.OTHER: 1,
}
CHANNEL_WEIGHTS = {
    Channel.EMAIL: 50,
    Channel.PHONE: 20,
    Channel.VIDEO: 12,
    Channel.IN_PERSON: 10,
    Channel.HANDWRITTEN: 4,
    Channel.LETTER: 4,
}
ASK_CHANNEL_WEIGHTS = {
    Channel.EMAIL: 50,
    Channel.PHONE: 20,
    Channel.IN_PERSON: 15,
    Channel.VIDEO: 10,
    Channel.LETTER: 5,
}
# How referrers want to be kept informed: most at each step or only at the end; weekly
# updates (the follow-up volume's main driver) are for the few who ask for them.
CADENCE_WEIGHTS = {
    UpdateCadence.EACH_STEP: 35,
    UpdateCadence.WEEKLY: 7,
    UpdateCadence.MONTHLY: 18,
    UpdateCadence.AT_END: 40,
}
QUALITY_WEIGHTS = {Quality.GOOD: 50, Quality.BETTER: 35, Quality.BEST: 15}
TIE_KIND_WEIGHTS = {
    RelationshipKind.FORMER_COLLEAGUE: 25,
    RelationshipKind.FRIEND: 15,
    RelationshipKind.CLUB: 12,
    RelationshipKind.VENDOR: 20,
    RelationshipKind.NEIGHBOUR: 5,
    RelationshipKind.FAMILY: 3,
    RelationshipKind.OTHER: 20,
}
TIE_STRENGTH = {
    RelationshipKind.COLLEAGUE: (2, 5),
    RelationshipKind.FORMER_COLLEAGUE: (2, 4),
    RelationshipKind.FRIEND: (3, 5),
    RelationshipKind.FAMILY: (4, 5),
    RelationshipKind.NEIGHBOUR: (1, 3),
    RelationshipKind.CLUB: (1, 3),
    RelationshipKind.VENDOR: (2, 4),
    RelationshipKind.OTHER: (1, 3),
}
TIE_SOURCE_WEIGHTS = {
    RelationshipSource.TOLD: 45,
    RelationshipSource.OBSERVED: 20,
    RelationshipSource.IMPORT: 15,
    RelationshipSource.LINKEDIN: 20,
}
TIE_NOTES = [
    "Worked together for years.",
    "Sit on the same industry board.",
    "Play golf together most Fridays.",
    "Met through the local chamber of commerce.",
    "Their kids go to the same school.",
    "Co-founded a meetup group.",
]
OTHER_DEAL_SOURCE_WEIGHTS = {
    Deal.Source.COLD: 35,
    Deal.Source.INBOUND: 35,
    Deal.Source.EVENT: 20,
    Deal.Source.OTHER: 10,
}
DEAL_PRODUCTS = ["Annual licence", "Pilot", "Expansion", "Renewal", "Implementation", "Advisory"]
SITUATIONS = [
    "planning an expansion into new markets",
    "in the middle of a migration off a legacy ERP",
    "opening a new plant next year",
    "growing fast and hiring across every team",
    "consolidating vendors after a merger",
    "replacing spreadsheets with a real planning system",
]
NOTES = [
    "Planning an expansion into {region} next year.",
    "Migration off their legacy ERP is on the roadmap.",
    "Opening a new plant in {city}.",
    "Rapid growth: doubling the team this year.",
    "Met at a trade fair in {city}; keen to talk again.",
    "Prefers short emails; decisions by committee.",
    "Board member at the local chamber of commerce.",
    "New in the role since the spring.",
]
WENT_WELL = [
    "Fast onboarding and a responsive account team.",
    "The rollout landed on time and under budget.",
    "Clear reporting; the board finally trusts the numbers.",
    "You picked up the phone every time we called.",
    "Training was practical and the team actually uses it.",
]
COULD_IMPROVE = [
    "Invoices could be clearer.",
    "Release notes arrive too late for our planning.",
    "Support response times slipped last quarter.",
    "More proactive check-ins would help.",
    "",
]
COMPLAINTS = [
    "Still unhappy about the delayed integration.",
    "Two escalations this quarter; not the moment to ask.",
    "Their new CFO is reviewing every vendor.",
    "The outage last month still stings.",
]
WOULD_TAKE = [
    "A short case study they can share internally.",
    "Knowing we would treat their contacts as well as we treat them.",
    "Nothing more — happy to help.",
    "A two-line summary they can forward.",
]
TESTIMONIALS = [
    "{team} cut our planning time in half.",
    "The best vendor relationship we have.",
    "They understood our business from day one.",
    "Every promise kept, and then some.",
]
GIVEN_NOTES = [
    "Introduced them to a recruiter they needed.",
    "Connected them with a logistics partner.",
    "Recommended them to one of our prospects.",
    "Put them in touch with an accountant we trust.",
    "",
]
ROSTER_REASONS = [
    "Fits our profile: {industry} in {region}, about {employees} people.",
    "{company} is {situation}.",
    "Their {title} is looking at options this quarter.",
    "Lost a deal to a competitor there last year; new people since.",
]
ICP_TEMPLATES = [
    {
        "industries": [Industry.SOFTWARE, Industry.MANUFACTURING, Industry.LOGISTICS],
        "regions": ["Northeast", "Midwest"],
        "min_employees": 50,
        "max_employees": 2000,
        "functions": [Function.EXECUTIVE, Function.OPERATIONS, Function.IT],
        "person_types": [PersonType.DECISION_MAKER, PersonType.CHAMPION],
        "situation": "Growing companies replacing spreadsheets with a real planning system.",
        "situation_keywords": ["expansion", "growth", "spreadsheets", "new plant"],
    },
    {
        "industries": [Industry.HEALTHCARE, Industry.INSURANCE, Industry.FINANCE],
        "regions": ["DACH", "Nordics", "Benelux"],
        "min_employees": 200,
        "max_employees": 10000,
        "functions": [Function.FINANCE, Function.EXECUTIVE],
        "person_types": [PersonType.DECISION_MAKER],
        "situation": "Regulated firms consolidating vendors after a merger.",
        "situation_keywords": ["merger", "consolidating", "migration"],
    },
    {
        "industries": [Industry.RETAIL, Industry.HOSPITALITY, Industry.MEDIA],
        "regions": ["UK & Ireland", "West"],
        "min_employees": 20,
        "max_employees": 1000,
        "functions": [Function.MARKETING, Function.SALES],
        "person_types": [PersonType.DECISION_MAKER, PersonType.INFLUENCER],
        "situation": "Consumer brands opening new markets.",
        "situation_keywords": ["expansion", "new markets", "growth"],
    },
    {
        "industries": [Industry.ENERGY, Industry.PUBLIC_SECTOR, Industry.REAL_ESTATE],
        "regions": ["South", "Southern Europe"],
        "min_employees": 500,
        "max_employees": None,
        "functions": [Function.OPERATIONS, Function.PROCUREMENT],
        "person_types": [PersonType.DECISION_MAKER, PersonType.GATEKEEPER],
        "situation": "Large operators modernising procurement.",
        "situation_keywords": ["procurement", "legacy", "migration"],
    },
    {
        "industries": [Industry.PROFESSIONAL_SERVICES, Industry.EDUCATION],
        "regions": ["CEE", "Western Europe"],
        "min_employees": 10,
        "max_employees": 500,
        "functions": [Function.EXECUTIVE, Function.HR],
        "person_types": [PersonType.CHAMPION, PersonType.DECISION_MAKER],
        "situation": "Firms hiring fast across every team.",
        "situation_keywords": ["hiring", "growth", "new in the role"],
    },
]


# --- Names ---------------------------------------------------------------------------------

_TRANSLITERATE = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "đ": "d", "œ": "oe"}
)


def ascii_slug(text: str, separator: str = "-") -> str:
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, text).strip(separator)


class NamePools:
    """Names, companies, phones and cities per locale, drawn once from a seeded Faker and
    then picked with our own Random: fast, and the same for the same seed."""

    def __init__(self, seed: int):
        self.first: dict[str, list[str]] = {}
        self.last: dict[str, list[str]] = {}
        self.companies: dict[str, list[str]] = {}
        self.phones: dict[str, list[str]] = {}
        self.cities: dict[str, list[str]] = {}
        for locale in sorted({locale for _r, _c, locale, _w in REGIONS}):
            fake = Faker(locale)
            fake.seed_instance(seed)
            self.first[locale] = sorted({fake.first_name() for _ in range(300)})
            self.last[locale] = sorted({fake.last_name() for _ in range(400)})
            self.companies[locale] = sorted({fake.company()[:120] for _ in range(150)})
            self.phones[locale] = [fake.phone_number()[:40] for _ in range(60)]
            self.cities[locale] = sorted({fake.city() for _ in range(40)})
