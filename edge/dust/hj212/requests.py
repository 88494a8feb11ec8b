"""Answers to the requests an HJ 212-2017 platform sends down the station's connection.

Each request is checked in the standard's order (CRC, QN, ST, CN, PW, MN, Flag) and answered
with a request response (CN 9011, ``QnRtn``): 1 when it will be executed, else the code of
the first thing wrong (2 refused: a command this station does not execute, 3 PW, 4 MN, 5 ST,
6 Flag, 7 QN, 8 CN, 9 CRC). The 9011 goes out when the request asks for a reply (Flag bit A)
and always when it is refused. An executed request then gets its data, with the request's
QN, and an execution result (CN 9012, ``ExeRtn``: 1 done, 3 the request's conditions are
wrong, 100 no data). Notification 2012 gets a notification response (9013) instead.

| CN | request | answer |
| --- | --- | --- |
| 1011 | get the station's time | ``SystemTime`` (site local), 9012 |
| 1012 | set the station's time | the offset is recorded, the clock is not changed; 9012 |
| 1061 | get the real-time data interval | ``RtdInterval`` (seconds), 9012 |
| 1062 | set it (30 to 3600 s) | 9012 |
| 2011 | real-time data | 9012, then ``-Rtd`` packets every ``rtd_interval_s`` |
| 2012 | stop real-time data | 9013 |
| 2031/2051/2061 | daily/minute/hourly data between BeginTime and EndTime | the packets, 9012 |

Why 1012 does not set the clock: attendance and dust times are evidence, the gate's clock is
kept by NTP and checked against central's (edge/clock.py), and a platform's command must not
move it. The gate answers ExeRtn 1 when its clock already agrees with the platform's within
``CLOCK_TOLERANCE_S``, else ExeRtn 3 (not executed), and reports the offset in its status.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from edge.dust.hj212 import codec
from edge.dust.hj212.history import History
from edge.dust.samples import Sample
from edge.dust.windows import WindowMean

log = logging.getLogger(__name__)

CN_GET_TIME, CN_SET_TIME = "1011", "1012"
CN_GET_RTD_INTERVAL, CN_SET_RTD_INTERVAL = "1061", "1062"
CN_RTD, CN_STOP_RTD, CN_DAY = "2011", "2012", "2031"
CN_REQUEST_REPLY, CN_EXECUTION, CN_NOTICE_REPLY = "9011", "9012", "9013"
ST_SYSTEM = "91"
REQUESTS = {
    *(CN_GET_TIME, CN_SET_TIME, CN_GET_RTD_INTERVAL, CN_SET_RTD_INTERVAL),
    *(CN_RTD, CN_STOP_RTD, CN_DAY, codec.CN_MINUTE, codec.CN_HOUR),
}

QN_OK, QN_REFUSED, QN_PW, QN_MN, QN_ST, QN_FLAG, QN_QN, QN_CN, QN_CRC = 1, 2, 3, 4, 5, 6, 7, 8, 9
EXE_OK, EXE_CONDITIONS, EXE_NO_DATA = 1, 3, 100
CLOCK_TOLERANCE_S = 5.0
RTD_INTERVAL_S = 30.0  # HJ 212-2017's default real-time data interval
RTD_INTERVAL_RANGE = (30, 3600)  # what a platform may set (1062)
MAX_HISTORY_PACKETS = 2000  # one request; a longer range is asked for in parts
RTD_CODES = {**codec.POLLUTANT_CODES}
_STAMP = re.compile(r"^\d{14}$")


@dataclass(slots=True)
class Station:
    """What the answers need of the station: its identity and where its data is."""

    st: str
    pw: str
    mn: str
    version_bits: int
    unit: str
    history: History
    now: Callable[[], datetime]
    rtd_on: bool = False
    rtd_interval_s: float = RTD_INTERVAL_S  # until a platform sets another (not kept on restart)
    clock_offset_s: float | None = None  # platform minus gate, from the last 1012


def _header(station: Station, qn: str, st: str, cn: str, cp: str) -> bytes:
    return codec.frame(
        codec.segment(
            qn, st, cn, station.pw, station.mn, codec.flag(station.version_bits, False), cp
        )
    )


def _reply(station: Station, qn: str, cn: str, cp: str) -> bytes:
    return _header(station, qn, ST_SYSTEM, cn, cp)


def _stamp(text: str | None) -> datetime | None:
    if text is None or not _STAMP.match(text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def _cp_fields(cp: str) -> dict[str, str]:
    out = {}
    for item in re.split(r"[;,]", cp):
        key, eq, value = item.partition("=")
        if eq:
            out[key.strip()] = value.strip()
    return out


def read_request(packet: bytes) -> tuple[dict[str, str] | None, int]:
    """The request's fields and its QnRtn (1 when well-formed); fields None if unreadable."""
    try:
        return codec.parse_packet(packet), QN_OK
    except codec.Hj212FormatError as exc:
        if "CRC" not in str(exc):
            return None, QN_CRC
    try:  # a CRC error: the QN is still worth answering with
        return codec.parse_segment(packet[6:-6].decode("ascii", errors="replace")), QN_CRC
    except codec.Hj212FormatError:
        return None, QN_CRC


def check(station: Station, fields: dict[str, str]) -> int:
    """The QnRtn of a readable request, in the standard's order of fields."""
    flag = fields.get("Flag", "")
    if not re.fullmatch(r"\d{17}", fields.get("QN", "")):
        return QN_QN
    if not re.fullmatch(r"\d{2}", fields.get("ST", "")):
        return QN_ST
    if not re.fullmatch(r"\d{4}", fields.get("CN", "")):
        return QN_CN
    if fields.get("PW") != station.pw:
        return QN_PW
    if fields.get("MN") != station.mn:
        return QN_MN
    if not flag.isdigit() or int(flag) & 0b10:  # split requests (bit D) are not taken
        return QN_FLAG
    if fields["CN"] not in REQUESTS:
        return QN_REFUSED
    return QN_OK


def answer(station: Station, packet: bytes) -> list[bytes]:
    """Every packet to send back for one received request, in order."""
    fields, qn_rtn = read_request(packet)
    if fields is None:
        log.warning("HJ 212 platform sent an unreadable packet")
        return []
    if qn_rtn == QN_OK:
        qn_rtn = check(station, fields)
    qn = fields.get("QN", "") if re.fullmatch(r"\d{17}", fields.get("QN", "")) else "0" * 17
    cn = fields.get("CN", "")
    wants_reply = fields.get("Flag", "0").isdigit() and int(fields.get("Flag", "0")) & 1
    out = []
    if qn_rtn != QN_OK or (wants_reply and cn != CN_STOP_RTD):
        out.append(_reply(station, qn, CN_REQUEST_REPLY, f"QnRtn={qn_rtn}"))
    if qn_rtn != QN_OK:
        log.info("HJ 212 request CN=%s refused (QnRtn=%d)", cn, qn_rtn)
        return out
    cp = _cp_fields(fields.get("CP", ""))
    if cn == CN_STOP_RTD:
        station.rtd_on = False
        return [*out, _reply(station, qn, CN_NOTICE_REPLY, "")]
    if cn == CN_RTD:
        station.rtd_on = True
        return [*out, _reply(station, qn, CN_EXECUTION, f"ExeRtn={EXE_OK}")]
    data, exe_rtn = _execute(station, qn, cn, cp)
    return [*out, *data, _reply(station, qn, CN_EXECUTION, f"ExeRtn={exe_rtn}")]


def _execute(station: Station, qn: str, cn: str, cp: dict[str, str]) -> tuple[list[bytes], int]:
    now = station.now()
    if cn == CN_GET_TIME:
        pol = f"PolId={cp['PolId']};" if "PolId" in cp else ""
        body = f"{pol}SystemTime={now.strftime('%Y%m%d%H%M%S')}"
        return [_header(station, qn, station.st, cn, body)], EXE_OK
    if cn == CN_GET_RTD_INTERVAL:
        body = f"RtdInterval={station.rtd_interval_s:.0f}"
        return [_header(station, qn, station.st, cn, body)], EXE_OK
    if cn == CN_SET_RTD_INTERVAL:
        wanted = cp.get("RtdInterval", "")
        low, high = RTD_INTERVAL_RANGE
        if not wanted.isdigit() or not low <= int(wanted) <= high:
            return [], EXE_CONDITIONS
        station.rtd_interval_s = float(wanted)
        return [], EXE_OK
    if cn == CN_SET_TIME:
        wanted = _stamp(cp.get("SystemTime"))
        if wanted is None:
            return [], EXE_CONDITIONS
        offset = (wanted.replace(tzinfo=now.tzinfo) - now).total_seconds()
        station.clock_offset_s = offset
        agrees = abs(offset) <= CLOCK_TOLERANCE_S
        (log.info if agrees else log.warning)(
            "HJ 212 platform set-time: its clock is %+.0f s from the gate's; the gate keeps its"
            " own (NTP) clock",
            offset,
        )
        return [], EXE_OK if agrees else EXE_CONDITIONS
    begin, end = _stamp(cp.get("BeginTime")), _stamp(cp.get("EndTime"))
    if begin is None or end is None or begin > end:
        return [], EXE_CONDITIONS
    begin, end = begin.replace(tzinfo=now.tzinfo), end.replace(tzinfo=now.tzinfo)
    means: list[WindowMean]
    if cn == CN_DAY:
        means = station.history.days(begin, end, MAX_HISTORY_PACKETS)
    else:
        window = "1min" if cn == codec.CN_MINUTE else "1h"
        means = station.history.between(window, begin, end, MAX_HISTORY_PACKETS)
    if not means:
        return [], EXE_NO_DATA
    packets = [_header(station, qn, station.st, cn, codec.data_cp(m, station.unit)) for m in means]
    return packets, EXE_OK


def realtime_cp(sample: Sample, at: datetime, unit: str) -> str:
    """CP of a real-time data packet: each measurand's ``-Rtd`` value and flag ``N``."""
    groups = [f"DataTime={at.strftime('%Y%m%d%H%M%S')}"]
    for quantity, code in RTD_CODES.items():
        value = getattr(sample, quantity)
        if value is None:
            continue
        as_unit = "ug/m3" if quantity == "humidity" else unit
        number = f"{value / 1000:.3f}" if as_unit == "mg/m3" else f"{value:.1f}"
        groups.append(f"{code}-Rtd={number},{code}-Flag=N")
    return ";".join(groups)


def realtime_packet(station: Station, sample: Sample, at: datetime) -> bytes:
    """One CN 2011 upload (no reply asked: real-time data is not queued or resent)."""
    qn = codec.qn_of(station.now())
    return _header(station, qn, station.st, CN_RTD, realtime_cp(sample, at, station.unit))
