"""Dust alarms: raise once, clear once, never flap.

Each rule of the site's profile is watched on its own window means:

- **minimum duration**: the mean must be above the limit for ``raise_after_s`` worth of
  consecutive windows (at least one window) before the alarm is raised;
- **hysteresis**: once raised, it clears only when the mean falls below
  ``limit × (1 − hysteresis)`` for ``clear_after_s`` (at least one window); values between
  the two levels change nothing, so noise around the limit cannot flap the alarm;
- windows without enough data (``no_data``, ``incomplete``) neither raise nor clear: a dead
  sensor is reported by the device status, not as clean air.

Every window above its limit also counts as one exceedance of the local day, which is how
Shanghai and Hebei judge compliance ("at most N per day"); alarms carry the running count.
24-hour rules (GB 3095-2012) use the mean of the last 24 hourly means, valid with ≥ 20.
"""

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from edge.dust.windows import WindowMean
from firmware_config.dust import AlarmConfig
from firmware_config.dust_profiles import WINDOW_SECONDS, Profile, Rule
from wireproto.messages import DustAlarmBody

MIN_HOURS_FOR_24H = 20  # GB 3095-2012 §8: a 24-hour mean needs 20 hourly values


@dataclass(slots=True)
class _State:
    active: bool = False
    above_s: float = 0.0
    below_s: float = 0.0
    day: date | None = None
    exceedances: int = 0


class AlarmEngine:
    def __init__(self, profile: Profile, policy: AlarmConfig | None = None) -> None:
        self.profile = profile
        self.policy = policy or AlarmConfig()
        self._states: dict[Rule, _State] = {rule: _State() for rule in profile.rules}
        self._hours: deque[WindowMean] = deque(maxlen=24)
        # raised alarms of rules a new profile no longer has: cleared at their next window
        self._retiring: dict[Rule, _State] = {}

    def use_profile(self, profile: Profile) -> None:
        """Judge by another profile from the next window on (central pushed it).

        A rule of the same pollutant and window keeps its state, so a raised alarm stays
        raised until it clears under the new limit; an alarm raised by a rule the new profile
        lacks is cleared at that pollutant's next window (with that window's value), so no
        alarm is left raised that nothing could clear. The hourly history is kept.
        """
        old = {(r.pollutant, r.window): (r, st) for r, st in self._states.items()}
        states: dict[Rule, _State] = {}
        for rule in profile.rules:
            _rule, state = old.pop((rule.pollutant, rule.window), (rule, _State()))
            states[rule] = state
        self._retiring.update({r: st for r, st in old.values() if st.active})
        self.profile, self._states = profile, states

    def _retire(self, mean: WindowMean) -> list[DustAlarmBody]:
        events = []
        for rule, state in list(self._retiring.items()):
            value = None
            if rule.window == mean.window and mean.valid:
                value = mean.get(rule.pollutant)
            elif rule.window == "24h" and mean.window == "1h":
                value = self._mean_24h(rule.pollutant, mean.end)
            if value is not None:
                state.active = False
                del self._retiring[rule]
                events.append(self._event("cleared", rule, value, mean.end, state))
        return events

    @property
    def active(self) -> bool:
        """Any alarm raised: the mist cannon is wanted."""
        return any(s.active for s in (*self._states.values(), *self._retiring.values()))

    def exceedances_today(self) -> dict[str, int]:
        return {f"{r.pollutant}/{r.window}": s.exceedances for r, s in self._states.items()}

    def observe(self, mean: WindowMean) -> list[DustAlarmBody]:
        """Feed one closed window; returns the alarm changes it causes (usually none)."""
        events = self._retire(mean) if self._retiring else []
        for rule in self._states:
            if rule.window == mean.window and mean.valid:
                value = mean.get(rule.pollutant)
                if value is not None:
                    events += self._step(rule, value, mean.end, WINDOW_SECONDS[mean.window])
        if mean.window == "1h":
            self._hours.append(mean)
            for rule in self._states:
                if rule.window == "24h":
                    value = self._mean_24h(rule.pollutant, mean.end)
                    if value is not None:
                        events += self._step(rule, value, mean.end, WINDOW_SECONDS["1h"])
        return events

    def _mean_24h(self, pollutant: str, end: datetime) -> float | None:
        since = end - timedelta(hours=24)
        values = [
            v
            for h in self._hours
            if h.valid and h.end > since and (v := h.get(pollutant)) is not None
        ]
        if len(values) < MIN_HOURS_FOR_24H:
            return None
        return round(sum(values) / len(values), 1)

    def _step(self, rule: Rule, value: float, at: datetime, step_s: float) -> list[DustAlarmBody]:
        state = self._states[rule]
        if state.day != at.date():
            state.day, state.exceedances = at.date(), 0
        if value > rule.limit:
            state.exceedances += 1
        need_raise = max(self.policy.raise_after_s, step_s)
        need_clear = max(self.policy.clear_after_s, step_s)
        if not state.active:
            state.above_s = state.above_s + step_s if value > rule.limit else 0.0
            if state.above_s >= need_raise:
                state.active, state.below_s = True, 0.0
                return [self._event("raised", rule, value, at, state)]
        else:
            clear_level = rule.limit * (1 - self.policy.hysteresis)
            state.below_s = state.below_s + step_s if value < clear_level else 0.0
            if state.below_s >= need_clear:
                state.active, state.above_s = False, 0.0
                return [self._event("cleared", rule, value, at, state)]
        return []

    def _event(
        self, change: str, rule: Rule, value: float, at: datetime, state: _State
    ) -> DustAlarmBody:
        return DustAlarmBody(
            state=change,  # type: ignore[arg-type]
            pollutant=rule.pollutant,
            value=round(value, 1),
            limit=rule.limit,
            profile=self.profile.name,
            window=rule.window,
            at=at,
            exceedances_today=state.exceedances,
            allowed_per_day=rule.max_per_day,
        )
