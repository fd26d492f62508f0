"""How Warmpath writes dates and times everywhere (pages, emails, admin): one unambiguous
style, day before month, 24-hour clock — "26 Nov 2026, 15:49" — instead of Django's
"Nov. 26, 2026, 3:49 p.m." beside "11/26/2026". Only the output formats are set here;
what forms accept (the *_INPUT_FORMATS) stays Django's, ISO dates included."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
