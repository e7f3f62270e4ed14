"""English dates as SOP Desk has always written them ("6 Dec 2026", "6 Dec 2026 14:05"): day
first, unambiguous for readers in any country. The other languages use Django's own formats."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
