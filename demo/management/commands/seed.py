from django.core.management.base import BaseCommand, CommandError

from demo import DEMO_PASSWORD
from demo.generate import AlreadySeeded, generate
from demo.plan import SIZES
from referrals.models import Deal, Referral


class Command(BaseCommand):
    help = (
        "Generate a realistic data set: teams with reps, companies across every industry, "
        "contacts and who knows whom (a few people know very many), readiness checks, "
        "rosters, referrals in every state over time, deals of every source, referrals "
        "given and weekly goals. Sizes: small = the demo team Northwind Sales (what "
        "`make run` loads, written through the app's services); medium = 2 teams, 10 "
        "reps, 20,000 contacts, 100,000 relationships, 30,000 referrals, 20,000 deals; "
        "large = DESIGN.md's reference set (5 teams, 50 reps, 200,000 contacts, "
        "1,000,000 relationships, 300,000 referrals, 200,000 deals); dense = one team of 20 "
        "reps asking about 7,000 times a week (100,000 referrals over 120 days, for the "
        "KPI benchmark); all three written in bulk "
        "(COPY on PostgreSQL). Each size has its own team names. The command refuses to "
        "add a second copy: when a team of that size already holds data it stops and "
        "changes nothing, unless --fresh, which first deletes those teams with all their "
        "data and their logins (logins that also belong to another team are kept). Every "
        "login gets the demo password. Prints row counts and the time taken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=list(SIZES), default="small")
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Random seed: the same seed gives the same data (dates follow today).",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the medium or large figures (teams and reps stay), e.g. 0.01 "
            "for a quick run. Not for small.",
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Delete this size's teams (their data and logins) first, then generate.",
        )

    def handle(self, *args, size, seed, scale, fresh, **options):
        if scale <= 0:
            raise CommandError("--scale must be greater than 0.")
        if size == "small" and scale != 1.0:
            raise CommandError("--scale applies to medium and large; small is the demo.")
        verbose = options["verbosity"] > 1 or size != "small"
        log = self.stdout.write if verbose else None
        try:
            result = generate(size, seed=seed, scale=scale, fresh=fresh, log=log)
        except AlreadySeeded as error:
            raise CommandError(
                f"{error} Nothing was added. Use --fresh to delete and generate again."
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated size {result.size} (seed {result.seed}) in {result.seconds:.1f} s:"
            )
        )
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<17}{count:>12,}")
        statuses = ", ".join(
            f"{status} {result.statuses.get(status, 0):,}" for status in Referral.Status.values
        )
        sources = ", ".join(
            f"{source} {result.sources.get(source, 0):,}" for source in Deal.Source.values
        )
        self.stdout.write(f"  referrals by status: {statuses}")
        self.stdout.write(f"  deals by source: {sources}")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}), for example:")
        shown = set()
        for team, role, username in result.logins:
            if (team, role) in shown:
                continue
            shown.add((team, role))
            self.stdout.write(f"  {team}: {role:<8} {username}")
