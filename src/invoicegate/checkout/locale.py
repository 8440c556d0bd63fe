"""The page's language and how it writes money, moments and durations (Babel, never by hand)."""

from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.lists import format_list
from babel.numbers import format_decimal

from invoicegate.checkout.texts import LANGUAGES
from invoicegate.domain.money import Currency

NAMES = {"id": "Bahasa Indonesia", "en": "English", "ar": "العربية"}
_BABEL_LOCALE = {"id": "id_ID", "en": "en", "ar": "ar"}
# Invoices in rupiah are Winpay's (Jakarta); every other currency is Paylink's (Riyadh).
_HOME = {"IDR": ("id", "Asia/Jakarta")}
_GULF = ("SAR", "AED", "BHD", "KWD", "OMR", "QAR", "JOD", "EGP")


def choose_language(
    asked: str | None, accept_language: str | None, currency: Currency | None
) -> str:
    """`?lang=` if it names one of ours; else the browser's best; else the currency's."""
    if asked in LANGUAGES:
        return asked
    for tag in _preferred(accept_language or ""):
        primary = tag.split("-")[0]
        if primary == "in":  # the old ISO 639 code for Indonesian, still sent by some phones
            primary = "id"
        if primary in LANGUAGES:
            return primary
    if currency is None:
        return "en"
    if currency.code in _HOME:
        return _HOME[currency.code][0]
    return "ar" if currency.code in _GULF else "en"


def _preferred(header: str) -> list[str]:
    """Language tags of an Accept-Language header, best first; q=0 means "not this one"."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.lower()))
    return [tag for _, _, tag in sorted(weighted)]


@cache
def _babel_locale(language: str) -> Locale:
    return Locale.parse(_BABEL_LOCALE[language])


@dataclass(frozen=True, slots=True)
class Formats:
    """Money, moments and durations written in one language's conventions."""

    language: str

    @property
    def _locale(self) -> Locale:
        return _babel_locale(self.language)

    @property
    def direction(self) -> str:
        return "rtl" if self._locale.character_order == "right-to-left" else "ltr"

    def money(self, minor_units: int, currency: Currency) -> str:
        """The amount with exactly the currency's decimals: `Rp260.000`, `SAR 5.00`, KWD 3.

        CLDR gives IDR two decimals, so the locale's own pattern is used with its fraction
        digits set to the currency's exponent (DIALECTS.md §4).
        """
        locale = self._locale
        pattern = copy(locale.currency_formats["standard"])
        pattern.frac_prec = (currency.exponent, currency.exponent)
        amount = Decimal(minor_units).scaleb(-currency.exponent)
        return str(pattern.apply(amount, locale, currency=currency.code, currency_digits=False))

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self._locale)

    def moment(self, when: datetime, currency: Currency) -> str:
        """Date and time in the invoice's home time zone, with the zone shown."""
        zone = _HOME.get(currency.code, ("", "Asia/Riyadh"))[1]
        return format_datetime(
            when, "d MMMM y, HH:mm z", tzinfo=ZoneInfo(zone), locale=self._locale
        )

    def day(self, when: date) -> str:
        return format_date(when, "d MMMM y", locale=self._locale)

    def duration(self, span: timedelta) -> str:
        """The two largest units of a span, e.g. `23 jam dan 50 menit`, `2 days and 4 hours`."""
        minutes = max(1, int(span.total_seconds() // 60))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [
            format_timedelta(timedelta(**{unit: count}), threshold=1, locale=self._locale)
            for unit, count in (("days", days), ("hours", hours), ("minutes", minutes))
            if count
        ][:2]
        # "standard", not "unit": Babel's Arabic unit list repeats its last item.
        return format_list(parts, style="standard", locale=self._locale)
