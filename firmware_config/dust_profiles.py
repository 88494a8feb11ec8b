"""Dust limits as named jurisdiction profiles: each province sets its own, so limits are data.

A profile is a list of rules (pollutant, averaging window, limit, allowed exceedances per day)
with the standard it comes from. A site picks one profile and may override or add rules in
its gate config (a city can be stricter than its province, a contract stricter than both).
docs/dust.md gives each profile's source and how its text maps onto these rules.
"""

from dataclasses import dataclass, replace
from typing import Literal

Pollutant = Literal["pm2_5", "pm10", "tsp"]
RuleWindow = Literal["1min", "15min", "1h", "24h"]

WINDOW_SECONDS: dict[str, int] = {"1min": 60, "15min": 900, "1h": 3600, "24h": 86_400}


class UnknownProfile(KeyError):
    """A profile name that is not shipped with this gate."""


@dataclass(frozen=True, slots=True)
class Rule:
    pollutant: Pollutant
    window: RuleWindow
    limit: float  # µg/m³, compared with the window mean
    max_per_day: int | None = None  # exceedances a local day may have and still comply


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    source: str  # the standard and clause the numbers come from
    rules: tuple[Rule, ...]

    def with_overrides(self, overrides: tuple[Rule, ...]) -> "Profile":
        """Site rules replace the profile's rule for the same pollutant and window, or add one."""
        if not overrides:
            return self
        keyed = {(r.pollutant, r.window): r for r in self.rules}
        for rule in overrides:
            keyed[(rule.pollutant, rule.window)] = rule
        return replace(self, rules=tuple(keyed.values()))


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="gb3095-2012",
            title="National ambient air quality, class II (GB 3095-2012)",
            source="GB 3095-2012 环境空气质量标准, Table 1 (PM10 and PM2.5, 24-hour mean, "
            "class II) and Table 2 (TSP, 24-hour mean, class II); validity per §8 (at least 20 "
            "hourly values for a 24-hour mean)",
            rules=(
                Rule("pm10", "24h", 150.0),
                Rule("pm2_5", "24h", 75.0),
                Rule("tsp", "24h", 300.0),
            ),
        ),
        Profile(
            name="shanghai-db31-964-2016",
            title="Shanghai construction particulate control (DB31/964-2016)",
            source="DB31/964-2016 建筑施工颗粒物控制标准, Table 1: monitoring-point limit on the "
            "15-minute mean of particulate matter, 2.0 mg/m³, at most 1 exceedance per day",
            rules=(Rule("pm10", "15min", 2000.0, max_per_day=1),),
        ),
        Profile(
            name="hebei-db13-2934-2019",
            title="Hebei construction site dust emission (DB13/2934-2019)",
            source="DB13/2934-2019 施工场地扬尘排放标准, Table 1: PM10 monitoring-point limit "
            "80 µg/m³ on the hourly mean, compliance with at most 2 exceedances per day",
            rules=(Rule("pm10", "1h", 80.0, max_per_day=2),),
        ),
    )
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise UnknownProfile(f"unknown dust profile {name!r} (shipped: {known})") from None
