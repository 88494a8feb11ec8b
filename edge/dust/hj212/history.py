"""The window means a platform may ask for again: minute and hourly data kept on the gate.

HJ 212 platforms extract history for a time range (CN 2051 minute, 2061 hourly, 2031 daily
data) after their own outages or to audit a site, and the answer must come from the site's
logger. Confirmed upload packets leave the queue, so the means are kept here as numbers
(not packets: a request is answered with fresh QNs and the platform's unit) for
``MINUTE_DAYS`` and ``HOUR_DAYS``. Daily data is computed from the hourly means of the local
day when asked: valid with at least 20 valid hours, as GB 3095-2012 asks of a 24-hour mean.
Times are the site's local time, which is what BeginTime/EndTime and DataTime mean.
"""

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

from edge.durable_sqlite import open_durable
from edge.dust.windows import WindowMean

MINUTE_DAYS = 31
HOUR_DAYS = 400
MIN_VALID_HOURS = 20
STAMP = "%Y%m%d%H%M%S"


class History:
    def __init__(self, path: Path) -> None:
        self.db = open_durable(path)
        self._lock = threading.Lock()
        self.db["means"].create(
            {"window": str, "start": str, "start_iso": str, "body": str},
            pk=("window", "start"),
            if_not_exists=True,
        )

    def add(self, mean: WindowMean) -> bool:
        """Keep a closed 1-minute or hourly mean (replacing one of the same start)."""
        if mean.window not in ("1min", "1h"):
            return False
        body = {
            "means": mean.means,
            "mins": mean.mins,
            "maxs": mean.maxs,
            "samples": mean.samples,
            "expected": mean.expected,
            "flags": list(mean.flags),
            "end": mean.end.isoformat(),
        }
        keep = timedelta(days=MINUTE_DAYS if mean.window == "1min" else HOUR_DAYS)
        with self._lock:
            self.db.execute(
                "INSERT OR REPLACE INTO means (window, start, start_iso, body) VALUES (?,?,?,?)",
                [mean.window, mean.start.strftime(STAMP), mean.start.isoformat(), json.dumps(body)],
            )
            self.db.execute(
                "DELETE FROM means WHERE window = ? AND start < ?",
                [mean.window, (mean.start - keep).strftime(STAMP)],
            )
        return True

    def between(self, window: str, begin: datetime, end: datetime, limit: int) -> list[WindowMean]:
        """Means of ``window`` starting in [begin, end] (site local times), oldest first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT start_iso, body FROM means WHERE window = ? AND start BETWEEN ? AND ?"
                " ORDER BY start LIMIT ?",
                [window, begin.strftime(STAMP), end.strftime(STAMP), limit],
            ).fetchall()
        out = []
        for start_iso, text in rows:
            body = json.loads(text)
            out.append(
                WindowMean(
                    window=window,
                    start=datetime.fromisoformat(start_iso),
                    end=datetime.fromisoformat(body["end"]),
                    means=body["means"],
                    mins=body["mins"],
                    maxs=body["maxs"],
                    samples=body["samples"],
                    expected=body["expected"],
                    flags=tuple(body["flags"]),
                )
            )
        return out

    def days(self, begin: datetime, end: datetime, limit: int) -> list[WindowMean]:
        """Daily data for each local day in [begin, end] that has hourly means."""
        first = begin.replace(hour=0, minute=0, second=0, microsecond=0)
        last = end.replace(hour=23, minute=59, second=59, microsecond=0)
        by_day: dict[str, list[WindowMean]] = {}
        for hour in self.between("1h", first, last, limit * 24):
            by_day.setdefault(hour.start.strftime("%Y%m%d"), []).append(hour)
        out = []
        for hours in list(by_day.values())[:limit]:
            valid = [h for h in hours if h.valid]
            start = hours[0].start.replace(hour=0, minute=0, second=0, microsecond=0)
            means: dict[str, float] = {}
            mins: dict[str, float] = {}
            maxs: dict[str, float] = {}
            for q in {q for h in valid for q in h.means}:
                values = [h for h in valid if q in h.means]
                means[q] = sum(h.means[q] for h in values) / len(values)
                mins[q] = min(h.mins[q] for h in values)
                maxs[q] = max(h.maxs[q] for h in values)
            complete = len(valid) >= MIN_VALID_HOURS
            out.append(
                WindowMean(
                    window="1d",
                    start=start,
                    end=start + timedelta(days=1),
                    means=means if complete else {},
                    mins=mins,
                    maxs=maxs,
                    samples=len(valid),
                    expected=24,
                    flags=() if complete else ("incomplete",),
                )
            )
        return out

    def close(self) -> None:
        self.db.conn.close()
