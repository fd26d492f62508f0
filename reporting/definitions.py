"""What each figure of the KPI pages counts, in the words a sales manager uses: the text
behind the "?" next to every figure (the `define` template tag), one place for the
dashboard, a rep's detail and the rep's week. The rules themselves are kpis.py's."""

DEFINITIONS = {
    "asks": "Introductions asked for in the period, counted on the day of the ask.",
    "intros": (
        "Asks whose referrer confirmed the introduction in the period, whenever the ask "
        "was made. Good: the referrer's name was used; better: the referrer reached out "
        "first; best: the three of you met."
    ),
    "meetings": (
        "Meetings with a referred prospect held in the period, whenever the ask was made. "
        "The funnel's “met” counts something else: the period's asks that have had a "
        "meeting by now."
    ),
    "wins": "Referrals won in the period, whenever the ask was made.",
    "won_value": (
        "The values of the referrals won in the period, added up. A win without a value "
        "counts as a win but adds nothing here."
    ),
    "referrals_given": "Introductions you made for your clients in the period (reciprocity).",
    "on_time": (
        "Of the thank-yous to referrers due for the period's asks (done, or late and not "
        "done), the share done within a day of the ask."
    ),
    "overdue": "Follow-ups past their due time and not done, right now, whatever the period.",
    "referrer_confirmed": (
        "Of the period's intros, the share the referrer confirmed themselves, with a link of "
        "the ask sent from Warmpath, rather than the rep recording it."
    ),
    "funnel": (
        "The asks made in the period, and how far each has got by today: introduced, met, "
        "won. Each bar is a share of the one above. “Meetings” elsewhere counts meetings "
        "held in the period instead, so the two can differ."
    ),
    "quality": (
        "Intros confirmed in the period by quality, and how many of them have reached a "
        "meeting or a win by today."
    ),
    "win_rate": (
        "Deals closed in the period (won or lost): the share won, for deals that came from "
        "a referral and for deals from any other source."
    ),
    "avg_deal": ("The average value of the deals won in the period, where a value was entered."),
    "goal": (
        "The weekly goals of the weeks in the period, added up. A rep without a goal of "
        "their own is measured against the team's goal divided equally among its reps "
        "(managers are not counted)."
    ),
    "rows": (
        "The team's totals are the sum of these rows: every rep, a manager who has "
        "referrals of their own, and anyone who left the team but whose numbers still "
        "count."
    ),
}
