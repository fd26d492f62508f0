"""Realistic data for the demo and for load tests: a team's network (companies, people,
who knows whom), the ideal client profile and fit scores, readiness checks, rosters,
referrals in every state, deals of every source, referrals given and weekly goals.

It sits on top of the domain apps (it may import any of them; none imports it) and it
alone needs Faker, a development requirement. One planner, two writers:

- ``demo.plan.TeamPlanner`` draws a team's data in memory from ``random.Random(seed)``:
  names from Faker's locales (``demo.words``), a skewed network (a few people know very
  many, most know a few), asks that follow real ties, step times in order (asked <
  confirmed < contacted < meeting < won/lost; declined only from asked).
- ``demo.write_services.ServiceWriter`` (size ``small``, the demo) writes the plan through
  contacts.services and referrals.services, so the demo is exactly what the app would
  have produced, activities included.
- ``demo.write_bulk.BulkWriter`` (``medium``, ``large``) writes it with PostgreSQL ``COPY``
  (or ``bulk_create`` on other databases), reproducing what the services would have
  written: each referral that reached a meeting has its Deal of source referral, closed
  with the same date and value; roster entries follow their referrals; fit scores come
  from the same scoring as the app's.

``demo.generate.generate`` runs a whole size; ``demo.teams`` holds the teams and their
logins. The commands are ``manage.py seed`` and ``manage.py seed_demo``.

Counts are deterministic for a given seed; dates are relative to now, so the data always
looks current.

This module holds only the demo logins and imports nothing: Django imports it while it
loads the apps (before any model can be imported), and the production image, which has
no Faker, loads it too.
"""

DEMO_TEAM = "Northwind Sales"
DEMO_PASSWORD = "warmpath-demo"  # noqa: S105 - printed on purpose: a demo login
DEMO_PEOPLE = [
    # username, first, last, role
    ("maria", "Maria", "Lopez", "manager"),
    ("ravi", "Ravi", "Patel", "rep"),
    ("sofia", "Sofia", "Berg", "rep"),
]
# The demo's admin: Django staff with every permission and no team (admins need none:
# /admin/ is theirs; the home page sends them there). username, first, last.
DEMO_ADMIN = ("ada", "Ada", "Admin")
DEMO_SEED = 7
