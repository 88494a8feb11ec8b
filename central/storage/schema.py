"""Table definitions: the one description of the schema, used by queries and migrations.

Times are stored twice on purpose: as the ISO 8601 text the device sent (local time with its
UTC offset: evidence, exactly as captured) and as UTC microseconds since the epoch (for
ordering and range queries that behave the same on SQLite and PostgreSQL).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

devices = Table(
    "devices",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    # The device's HMAC secret, sealed with the data key (central/ingest/devices.py): a copy
    # of the database alone cannot forge a gate's events or read its face gallery.
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("status", Text, nullable=True),  # last signed status body, JSON
    Column("status_at", String(40), nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("payload", Text, nullable=False),  # the signed JSON as received: evidence
    Index("ix_events_site_device_seq", "site", "device", "seq"),
)

attendance = Table(
    "attendance",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("worker_id", String(64), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("method", String(8), nullable=False),
    Column("distance", Float, nullable=True),
    Column("liveness", String(16), nullable=False),
    Column("captured_at", String(40), nullable=False),  # device local time with offset
    Column("captured_utc_us", BigInteger, nullable=False),
    Column("local_date", String(10), nullable=False),  # YYYY-MM-DD in the site's time
    Column("received_at", String(40), nullable=False),
    Index("ix_attendance_site_date", "site", "local_date"),
    Index("ix_attendance_worker_date", "worker_id", "local_date"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", String(40), nullable=False),
    Column("topic", String(256), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("detail", String(256), nullable=True),
    Column("payload", LargeBinary, nullable=False),  # capped at DEAD_LETTER_PAYLOAD_CAP
    Column("payload_size", Integer, nullable=False),
    Index("ix_dead_letters_reason", "reason"),
    Index("ix_dead_letters_received", "received_at"),  # retention prunes by age
)

DEAD_LETTER_PAYLOAD_CAP = 16 * 1024

# Every dead letter counted per sender, reason and UTC hour; only the first few of each key
# and hour also get a dead_letters row, so a flood from one device costs one row update per
# batch, not one row per message (central/ingest/dead_letters.py). ``site``/``device`` are
# the topic's when that device is provisioned, "-" otherwise (ids never are "-").
dead_letter_counts = Table(
    "dead_letter_counts",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("reason", String(64), primary_key=True),
    Column("hour", String(13), primary_key=True),  # YYYY-MM-DDTHH, UTC
    Column("count", BigInteger, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("first_seen", String(40), nullable=False),
    Column("last_seen", String(40), nullable=False),
    Column("sample_topic", String(256), nullable=True),
    Column("sample", LargeBinary, nullable=True),  # the hour's first payload, capped
    Index("ix_dead_letter_counts_hour", "hour"),
)

# Verified events kept as evidence (in ``events``) but not counted as attendance: no
# attendance row is written for them. A clerk lists them with their reason
# (GET /api/v1/held-events); docs/protocol.md section 10 and docs/wages.md say when.
held_events = Table(
    "held_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("worker_id", String(64), nullable=True),
    Column("reason", String(64), nullable=False),  # implausible_time | unknown_worker
    Column("detail", String(256), nullable=True),
    Column("received_at", String(40), nullable=False),
    Index("ix_held_events_site", "site", "received_at"),
)

# --- Wages: real-name registry, attendance days, payroll, warnings, users -----------------
# Money is integer fen; dates are the site's local YYYY-MM-DD; timestamps are ISO 8601 with
# their offset. ID and card numbers are sealed (AES-GCM) with a keyed hash for lookups and a
# masked form for display: see central/registry/sealing.py.

enterprises = Table(
    "enterprises",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("uscc", String(18), nullable=False, unique=True),  # unified social credit code
    Column("kind", String(32), nullable=False),  # general_contractor | subcontractor
    Column("created_at", String(40), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", String(64), primary_key=True),  # = the site id in MQTT topics
    Column("name", String(200), nullable=False),
    Column("contractor_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("pay_due_day", Integer, nullable=False),  # day of the following month
    Column("created_at", String(40), nullable=False),
    # GB/T 2260 division (province/city/county, six digits): decides which supervisors see it.
    # NULL only on projects registered before jurisdictions existed: no supervisor sees those.
    Column("division_code", String(6), nullable=True),
    Column("status", String(20), nullable=False, server_default="under_construction"),
    Index("ix_projects_division", "division_code"),
    # The province's hourly minimum wage; a line paying less per hour raises a warning.
    Column("min_hourly_wage_fen", Integer, nullable=True),
)

# Enterprises registered on a project besides its general contractor (projects.contractor_id):
# subcontractors (分包) and labour subcontractors (劳务分包). See docs/tenancy.md.
project_enterprises = Table(
    "project_enterprises",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id"), primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), primary_key=True),
    Column("role", String(24), nullable=False),  # subcontractor | labour_subcontractor
    Column("registered_at", String(40), nullable=False),
    Column("registered_by", String(64), nullable=False),
    Index("ix_project_enterprises_enterprise", "enterprise_id"),
)

project_calendar = Table(
    "project_calendar",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("kind", String(16), nullable=False),  # workday | restday | holiday
    Column("note", String(200), nullable=True),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(64), primary_key=True),  # the worker_id gates put in events
    Column("name", String(100), nullable=False),
    Column("id_number_sealed", LargeBinary, nullable=False),
    Column("id_number_hash", String(64), nullable=False, unique=True),
    Column("id_number_masked", String(32), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("card_sealed", LargeBinary, nullable=True),
    Column("card_hash", String(64), nullable=True),
    Column("card_masked", String(32), nullable=True),
    Column("bank", String(100), nullable=True),
    Column("card_valid", Integer, nullable=False, server_default="1"),  # 0 after a bank refusal
    Column("created_at", String(40), nullable=False),
    Index("ix_workers_phone", "phone"),  # a worker signs in with their phone number (0020)
)

employments = Table(
    "employments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("employer_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("team", String(100), nullable=True),
    Column("trade", String(100), nullable=True),
    Column("start_date", String(10), nullable=False),
    Column("end_date", String(10), nullable=True),
    Column("terms", Text, nullable=False),  # central.wages.rules.PayTerms as JSON
    Column("created_at", String(40), nullable=False),
    Index("ix_employments_project_worker", "project_id", "worker_id"),
    Index("ix_employments_worker", "worker_id"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("employer_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("status", String(16), nullable=False),  # signed | terminated
    Column("signed_on", String(10), nullable=False),
    Column("document_sha256", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Index("ix_contracts_worker", "worker_id"),
)

trainings = Table(
    "trainings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=True),
    Column("course", String(200), nullable=False),
    Column("completed_on", String(10), nullable=False),
    Column("valid_until", String(10), nullable=True),
    Index("ix_trainings_worker", "worker_id"),
    # revision 0019: the course completed (training_courses), when recorded through one
    Column("course_id", Integer, nullable=True),
)

face_consents = Table(
    "face_consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("purpose", String(200), nullable=False),
    Column("method", String(100), nullable=False),  # how it was given: signed form, app, …
    Column("granted_at", String(40), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("withdrawn_at", String(40), nullable=True),
    Column("withdrawn_by", String(64), nullable=True),
    # The employer the worker gave it to: it covers that employer's sites only. NULL: given
    # through the deployment's operator (admin), covering every employer of the worker.
    Column("enterprise_id", Integer, nullable=True),
    Index("ix_face_consents_worker", "worker_id"),
)

face_templates = Table(
    "face_templates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("sealed", LargeBinary, nullable=False),  # AES-GCM of 128 float32
    Column("photo_sealed", LargeBinary, nullable=True),  # only when photos are kept
    Column("created_at", String(40), nullable=False),
    Index("ix_face_templates_worker", "worker_id"),
)

attendance_days = Table(
    "attendance_days",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
    Column("local_date", String(10), primary_key=True),
    Column("first_in", String(40), nullable=True),
    Column("last_out", String(40), nullable=True),
    Column("worked_minutes", Integer, nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("flags", String(200), nullable=False),  # comma-separated, "" when clean
    Column("status", String(16), nullable=False),  # complete | missing_punch | corrected
    Column("computed_at", String(40), nullable=False),
    # JSON [[in, out], ...] of the paid intervals (ISO, site time) of a day whose work ran
    # past midnight (NULL: every minute on local_date): the premium of each minute follows
    # the calendar date it fell on, so payroll needs when, not only how long.
    Column("intervals", Text, nullable=True),
    Index("ix_attendance_days_worker", "worker_id", "local_date"),
)

attendance_corrections = Table(
    "attendance_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), nullable=False),
    Column("worker_id", String(64), nullable=False),
    Column("local_date", String(10), nullable=False),
    Column("before", Text, nullable=False),  # JSON
    Column("after", Text, nullable=False),  # JSON
    Column("reason", String(500), nullable=False),
    Column("by_user", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Index("ix_attendance_corrections_day", "project_id", "worker_id", "local_date"),
)

wage_adjustments = Table(
    "wage_adjustments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("kind", String(16), nullable=False),  # piece_rate | deduction
    Column("amount_fen", BigInteger, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("by_user", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    # A wrong adjustment is reversed, never deleted: who, when and why stay beside it, and
    # payroll compute leaves reversed rows out.
    Column("reversed_by", String(64), nullable=True),
    Column("reversed_at", String(40), nullable=True),
    Column("reversal_reason", String(500), nullable=True),
    Index("ix_wage_adjustments_month", "project_id", "month"),
)

payroll_batches = Table(
    "payroll_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("state", String(20), nullable=False),
    Column("due_date", String(10), nullable=False),
    Column("gross_fen", BigInteger, nullable=False),
    Column("net_fen", BigInteger, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("approved_by", String(64), nullable=True),
    Column("approved_at", String(40), nullable=True),
    Column("submitted_by", String(64), nullable=True),
    Column("submitted_at", String(40), nullable=True),
    Column("settled_at", String(40), nullable=True),
    Index("ux_payroll_batches_project_month", "project_id", "month", unique=True),
)

payroll_lines = Table(
    "payroll_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("payroll_batches.id"), nullable=False),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("employer_id", Integer, nullable=False),
    Column("attended_days", Integer, nullable=False),  # dates with paid minutes
    Column("worked_minutes", Integer, nullable=False),  # = the sum of the four splits below
    Column("ot_workday_minutes", Integer, nullable=False),  # extended time, ×1.5
    Column("ot_restday_minutes", Integer, nullable=False),  # ×2
    Column("ot_holiday_minutes", Integer, nullable=False),  # ×3
    Column("gross_fen", BigInteger, nullable=False),
    Column("deductions_fen", BigInteger, nullable=False),
    Column("net_fen", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # pending | held | paid | failed
    Column("paid_fen", BigInteger, nullable=False, server_default="0"),
    Column("bank_ref", String(100), nullable=True),
    Column("bank_message", String(200), nullable=True),
    Column("paid_at", String(40), nullable=True),
    Column("confirmation", String(16), nullable=False),  # none | confirmed | disputed
    Column("confirmation_at", String(40), nullable=True),
    Column("confirmation_note", String(500), nullable=True),
    Column("pay_kind", String(8), nullable=True),  # daily | hourly (of the last paid day)
    Column("rate_fen", BigInteger, nullable=True),
    Column("plain_minutes", Integer, nullable=False, server_default="0"),
    # rest-day minutes paid plain because compensatory rest (调休) was recorded for them
    Column("compensated_minutes", Integer, nullable=False, server_default="0"),
    Column("plain_fen", BigInteger, nullable=False, server_default="0"),
    Column("extended_fen", BigInteger, nullable=False, server_default="0"),
    Column("restday_fen", BigInteger, nullable=False, server_default="0"),
    Column("holiday_fen", BigInteger, nullable=False, server_default="0"),
    Column("additions_fen", BigInteger, nullable=False, server_default="0"),  # piece rate
    Index("ux_payroll_lines_batch_worker", "batch_id", "worker_id", unique=True),
    Index("ix_payroll_lines_worker", "worker_id"),
)

# One row per attendance day of a line: what the day paid and why (unpaid days say why).
payroll_line_days = Table(
    "payroll_line_days",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # no foreign key (revision 0024: checking it per row was 43 % of computing a batch); the
    # one writer, payroll/batches.py, deletes a batch's line days before its lines
    Column("line_id", Integer, nullable=False),
    Column("local_date", String(10), nullable=False),  # the date the shift started
    Column("day_kind", String(16), nullable=False),  # workday | restday | holiday
    Column("first_in", String(40), nullable=True),
    Column("last_out", String(40), nullable=True),
    Column("plain_minutes", Integer, nullable=False),
    Column("extended_minutes", Integer, nullable=False),
    Column("restday_minutes", Integer, nullable=False),
    Column("holiday_minutes", Integer, nullable=False),
    Column("compensated_minutes", Integer, nullable=False),
    Column("money_fen", BigInteger, nullable=False),
    Column("flags", String(200), nullable=False),
    Column("note", String(300), nullable=True),
    Index("ix_payroll_line_days_line", "line_id", "local_date"),
)

# Compensatory rest (调休) for work on a rest day: recorded by the employer, counted only
# once the worker confirms; the rest day's minutes are then paid plain instead of ×2.
compensatory_rest = Table(
    "compensatory_rest",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("employer_id", Integer, nullable=False),
    Column("worked_date", String(10), nullable=False),
    Column("rest_date", String(10), nullable=False),
    Column("note", String(500), nullable=True),
    Column("state", String(12), nullable=False),  # proposed | confirmed
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("confirmed_at", String(40), nullable=True),
    Index("ux_compensatory_rest_worked", "worker_id", "employer_id", "worked_date", unique=True),
)

# Payroll card replacements: who, why, masked numbers only (the card itself is sealed).
card_changes = Table(
    "card_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("old_card_masked", String(32), nullable=True),
    Column("new_card_masked", String(32), nullable=False),
    Column("bank", String(100), nullable=True),
    Column("reason", String(500), nullable=False),
    Column("by_user", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Index("ix_card_changes_worker", "worker_id", "id"),
)

payroll_log = Table(
    "payroll_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, nullable=False),
    Column("line_id", Integer, nullable=True),
    Column("action", String(32), nullable=False),
    Column("by_user", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("note", String(500), nullable=True),
    # JSON parameters of central's own note (central/payroll/step_notes.py); NULL for a
    # person's words and for rows written before revision 0025
    Column("params", Text, nullable=True),
    Index("ix_payroll_log_batch", "batch_id"),
)

period_closings = Table(
    "period_closings",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),  # day | month
    Column("period", String(10), primary_key=True),  # YYYY-MM-DD or YYYY-MM
    Column("state", String(12), nullable=False),  # closed | reopened
    Column("closed_by", String(64), nullable=False),
    Column("closed_at", String(40), nullable=False),
    Column("closed_at_utc_us", BigInteger, nullable=False),
    Column("reopened_at", String(40), nullable=True),
    Column("reopen_reason", String(500), nullable=True),
)

wage_warnings = Table(
    "wage_warnings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # one warning per fact
    Column("kind", String(40), nullable=False),
    Column("severity", String(8), nullable=False),  # high | medium | low
    Column("project_id", String(64), nullable=True),
    Column("worker_id", String(64), nullable=True),  # the worker it is about, if one
    Column("subject", String(200), nullable=False),
    Column("evidence", Text, nullable=False),  # JSON
    Column("state", String(10), nullable=False),  # open | handled
    Column("note", String(500), nullable=True),
    Column("handled_by", String(64), nullable=True),
    Column("handled_at", String(40), nullable=True),
    Column("created_at", String(40), nullable=False),
    Index("ix_wage_warnings_project_state", "project_id", "state"),
    # handling (central/warnings/handling.py): who has it now, and the GB/T 2260 division it
    # was escalated to (NULL: the project's own supervisors); each action is a history row
    Column("assignee", String(64), nullable=True),
    Column("escalated_to", String(6), nullable=True),
    Column("updated_at", String(40), nullable=True),
    # the subject's parameters (JSON): the console renders the subject from ``kind`` and
    # these in the reader's language (central/warnings/subjects.py); NULL on older rows
    Column("params", Text, nullable=True),
)

# Every action on a warning, oldest first: raised, assigned, noted, resolved, reopened,
# escalated, and the system's own resolutions (a gate back, a dust alarm cleared).
warning_history = Table(
    "warning_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("warning_id", Integer, ForeignKey("wage_warnings.id"), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("actor_role", String(20), nullable=True),
    Column("action", String(20), nullable=False),
    Column("note", String(500), nullable=True),
    Column("detail", Text, nullable=True),  # JSON: assignee, escalation target, evidence
    Index("ix_warning_history_warning", "warning_id", "id"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(24), nullable=False),
    Column("enterprise_id", Integer, nullable=True),
    Column("project_id", String(64), nullable=True),
    Column("worker_id", String(64), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("division_code", String(6), nullable=True),  # a supervisor's jurisdiction
    Index("ux_users_worker", "worker_id", unique=True),  # one account per worker
    Column("disabled", Integer, nullable=False, server_default="0"),  # 1: no login, no token
    Column("must_change_password", Integer, nullable=False, server_default="0"),  # after a reset
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),  # the token itself is never stored
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("expires_utc_us", BigInteger, nullable=False),
    Column("created_utc_us", BigInteger, nullable=True),
    Column("last_used_utc_us", BigInteger, nullable=True),  # for the idle timeout (coarse)
    Index("ix_api_tokens_user", "user_id"),
)

WAGE_TABLES = (
    enterprises,
    projects,
    project_enterprises,
    project_calendar,
    workers,
    employments,
    contracts,
    trainings,
    face_consents,
    face_templates,
    attendance_days,
    attendance_corrections,
    wage_adjustments,
    payroll_batches,
    payroll_lines,
    payroll_log,
    period_closings,
    wage_warnings,
    warning_history,
    users,
    api_tokens,
)

# --- Dust: window means and alarms from the gates' dust monitors --------------------------
# Concentrations in µg/m³ as the gate averaged them; window times as the gate stamped them
# (site time with offset) plus UTC microseconds for range queries.

dust_readings = Table(
    "dust_readings",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("sensor", String(64), nullable=False),
    Column("window", String(8), nullable=False),  # 1min | 15min | 1h
    Column("window_start", String(40), nullable=False),
    Column("window_end", String(40), nullable=False),
    Column("start_utc_us", BigInteger, nullable=False),
    Column("pm1_0", Float, nullable=True),
    Column("pm2_5", Float, nullable=True),
    Column("pm10", Float, nullable=True),
    Column("tsp", Float, nullable=True),
    Column("humidity", Float, nullable=True),
    Column("samples", Integer, nullable=False),
    Column("expected_samples", Integer, nullable=False),
    Column("flags", String(600), nullable=False),  # JSON array of quality flags
    Column("received_at", String(40), nullable=False),
    Index("ix_dust_readings_site_window_start", "site", "window", "start_utc_us"),
)

dust_alarms = Table(
    "dust_alarms",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("state", String(8), nullable=False),  # raised | cleared
    Column("pollutant", String(8), nullable=False),
    Column("value", Float, nullable=False),
    Column("limit_value", Float, nullable=False),
    Column("profile", String(64), nullable=False),
    Column("window", String(8), nullable=False),
    Column("at", String(40), nullable=False),
    Column("at_utc_us", BigInteger, nullable=False),
    Column("exceedances_today", Integer, nullable=True),
    Column("allowed_per_day", Integer, nullable=True),
    Column("received_at", String(40), nullable=False),
    Index("ix_dust_alarms_site_at", "site", "at_utc_us"),
)

# --- Device identity, remote config and gallery sync --------------------------------------

mqtt_accounts = Table(
    "mqtt_accounts",
    metadata,
    Column("username", String(140), primary_key=True),
    # Mosquitto's PBKDF2-SHA512 form ($7$…): the password itself is only in the gate's file.
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),  # device | service
    Column("site", String(64), nullable=True),  # set for devices
    Column("device", String(64), nullable=True),
    Column("created_at", String(40), nullable=False),
    Index("ix_mqtt_accounts_device", "site", "device"),
)

device_configs = Table(
    "device_configs",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("settings", Text, nullable=False),  # wireproto.commands.RemoteSettings JSON
    Column("created_at", String(40), nullable=False),
)

device_sync = Table(
    "device_sync",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("config_version", Integer, nullable=False),
    Column("config_error", String(200), nullable=True),
    Column("config_rejected", Integer, nullable=True),
    Column("gallery_version", BigInteger, nullable=False),
    Column("reported_at", String(40), nullable=False),  # device clock, with offset
    Column("received_at", String(40), nullable=False),  # central clock, UTC
)

gallery_versions = Table(
    "gallery_versions",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

site_gallery = Table(
    "site_gallery",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
    Column("templates_sealed", LargeBinary, nullable=True),  # AES-GCM; NULL once removed
    Column("version", BigInteger, nullable=False),  # the site version of its last change
    Column("updated_at", String(40), nullable=False),
    Index("ix_site_gallery_site_version", "site", "version"),
)

# ID and NFC cards that open the gates for a worker (not the bank card in workers.card_*).
# The number is sealed (central/registry/sealing.py) because each gate needs its own keyed
# hash of it (wireproto/cards.py); number_hash, under central's lookup key, makes a card
# belong to one worker at most. A removed card is deleted; the audit log keeps who and when.
worker_cards = Table(
    "worker_cards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # id_card | nfc
    Column("number_sealed", LargeBinary, nullable=False),
    Column("number_hash", String(64), nullable=False, unique=True),
    Column("masked", String(64), nullable=False),
    # the employer that registered it: its cards open the sites where it employs the worker or
    # is the general contractor, like a face consent given to it; NULL (the admin): every site
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True),
    Column("added_by", String(64), nullable=False),
    Column("added_at", String(40), nullable=False),
    Index("ix_worker_cards_worker", "worker_id"),
)

SYNC_TABLES = (mqtt_accounts, device_configs, device_sync, gallery_versions, site_gallery)

# Append-only record of who did what: logins, whole-number reveals, account and scope changes,
# warnings handled, card replacements, adjustments reversed. Written by central/audit.py only;
# no code path updates or deletes a row.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),  # ISO 8601 with offset (UTC)
    Column("at_utc_us", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),  # username, or "-" when unknown
    Column("actor_role", String(32), nullable=True),
    Column("action", String(64), nullable=False),  # e.g. login.failed, worker.reveal
    Column("target_kind", String(32), nullable=True),  # worker | user | batch | warning | …
    Column("target_id", String(64), nullable=True),
    Column("project_id", String(64), nullable=True),  # scope of the record, for supervisors
    Column("client", String(64), nullable=True),  # client address
    Column("detail", Text, nullable=True),  # JSON; never a secret or a whole ID number
    Index("ix_audit_log_at", "at_utc_us"),
    Index("ix_audit_log_actor", "actor", "at_utc_us"),
    Index("ix_audit_log_target", "target_kind", "target_id"),
)

# Every password check (login, password change), so the throttle in central/auth/throttle.py
# sees the same counts from every central instance. Rows older than a day are deleted.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at_utc_us", BigInteger, nullable=False),
    # SHA-256 of the username as typed: a password typed into the name field is never kept
    Column("username_sha256", String(64), nullable=False),
    Column("client", String(64), nullable=True),  # client address from the ASGI scope
    Column("outcome", String(12), nullable=False),  # pending | ok | failed | throttled
    Index("ix_login_attempts_username", "username_sha256", "id"),
    Index("ix_login_attempts_client", "client", "at_utc_us"),
)

# --- Overview data: special wage accounts, the arrears register, payment summaries ---------

# A project's special wage account (农民工工资专用账户, 保障农民工工资支付条例 art. 26): the
# account number is sealed like a card number and only its masked form is shown.
project_wage_accounts = Table(
    "project_wage_accounts",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id"), primary_key=True),
    Column("bank", String(100), nullable=False),
    Column("account_sealed", LargeBinary, nullable=False),
    Column("account_masked", String(32), nullable=False),
    Column("opened_on", String(10), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)

# 存量欠薪案件: wage-arrears cases, opened from a complaint, a warning or by an inspector.
arrears_cases = Table(
    "arrears_cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("source", String(12), nullable=False),  # complaint | warning | inspector
    Column("source_ref", String(64), nullable=True),  # the warning id or complaint reference
    Column("amount_fen", BigInteger, nullable=False),  # wages owed, integer fen
    Column("workers", Integer, nullable=False),  # workers owed
    Column("status", String(12), nullable=False),  # open | resolved
    Column("summary", String(500), nullable=False),
    Column("resolution", String(500), nullable=True),
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Index("ix_arrears_cases_status", "status", "project_id"),
)

# Wages paid through the platform, summed when a bank result is imported
# (central/payroll/paid_summaries.py), so a province's overview never sums millions of lines.
paid_months = Table(
    "paid_months",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),  # of paid_at
    Column("paid_fen", BigInteger, nullable=False),
    Column("lines", Integer, nullable=False),
)

# Each worker paid on a project, with the first and last month paid: distinct workers paid
# (in total, this month) without scanning the lines.
paid_workers = Table(
    "paid_workers",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
    Column("first_month", String(7), nullable=False),
    Column("last_month", String(7), nullable=False),
    # 1: the worker's only row, so distinct workers paid are a plain count of such rows; the
    # others are grouped by worker. Set for all of a worker's rows at once (0014)
    Column("sole", Integer, nullable=False, server_default="0"),
    Index("ix_paid_workers_last", "last_month", "project_id"),
    Index("ix_paid_workers_worker", "worker_id"),  # (0014)
    Index("ix_paid_workers_shared", "sole", "worker_id", "project_id", "last_month"),  # (0014)
)

# Distinct workers with a check-in per site and local date, and how many of them are registered
# (employed) on that project: the overview's daily trend and real-name rate without scanning
# millions of events. Recounted from ``attendance`` for each (site, date) that newly stored
# events touch (central/storage/presence.py).
site_days = Table(
    "site_days",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("local_date", String(10), primary_key=True),
    Column("workers", Integer, nullable=False),
    Column("registered", Integer, nullable=False),
    Index("ix_site_days_date", "local_date", "site"),
)

# Who was counted into ``site_days``: one row per site, local date and worker with a check-in
# (revision 0024). Ingest inserts a batch's check-ins here with ON CONFLICT DO NOTHING and
# counts only the rows that insert added, so ``site_days`` grows by increments and a worker's
# day is counted once however many events and instances see it (central/storage/presence.py).
site_day_workers = Table(
    "site_day_workers",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("local_date", String(10), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
)


# ---- which attendance days may be stale (revision 0023) ----

# A (site, local date) whose events or corrections were committed but whose days may not have
# been refreshed yet: written in the same transaction as the events (central/storage/database.py)
# or the correction, deleted by the refresh that follows (central/attendance/staleness.py). A row
# means the days of the date and the day either side may be stale (a night shift crosses midnight).
days_pending = Table(
    "days_pending",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # who will clear it: the batch's first attendance event id, or a correction's own token
    Column("token", String(64), nullable=False),
    Column("site", String(64), nullable=False),
    Column("local_date", String(10), nullable=False),
    Index("ix_days_pending_site_date", "site", "local_date"),
    Index("ix_days_pending_token", "token"),
)

# A project's month whose days a whole-month refresh brought up to date; from then on only
# ``days_pending`` rows can make them stale, so compute and approve skip the refresh without any.
days_current = Table(
    "days_current",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("refreshed_at", String(40), nullable=False),
)

# ---- overview summaries (revision 0014) ----

# Who is employed where and when, one row per project, worker and unbroken span of employment
# (a worker's overlapping employments on one project merged, so counting rows running on a day
# counts distinct workers), with the worker's card state and whether they were ever paid on
# the project: the overview's per-project indicators and distinct-worker counts without
# joining a province's employments to workers and payments on each load. Recomputed per worker
# from the source tables by central/registry/staff_spans.py in the writers' transactions.
staff_spans = Table(
    "staff_spans",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
    Column("start_date", String(10), primary_key=True),
    Column("end_date", String(10), nullable=True),  # None: open-ended
    Column("card_ok", Integer, nullable=False),  # card on record, not refused by the bank
    Column("paid", Integer, nullable=False),  # a paid line on this project (paid_workers)
    # 1: the worker's only span anywhere, so distinct workers are a plain count of such rows;
    # only the others need grouping by worker (central/reports/overview.py)
    Column("sole", Integer, nullable=False),
    Index("ix_staff_spans_worker", "worker_id"),
    Index(
        "ix_staff_spans_shared",
        "sole",
        "worker_id",
        "project_id",
        "start_date",
        "end_date",
        "card_ok",
    ),
)

# ---- division names, warning parameters, arrears history, gate links (revision 0015) ----

# GB/T 2260 administrative divisions with their names (central/registry/divisions.py):
# loaded at set-up from a pinned npm dataset, or entered through the system. A code not
# here is still shown, as its code.
divisions = Table(
    "divisions",
    metadata,
    Column("code", String(6), primary_key=True),  # six digits: 450000, 450100, 450102
    Column("name", String(100), nullable=False),  # 南宁市
    Column("name_en", String(200), nullable=False),  # Nanning City (pinyin)
    Column("level", String(8), nullable=False),  # province | city | county
    Column("parent", String(6), nullable=True),
    Index("ix_divisions_parent", "parent"),
)

# Every change of an arrears case, oldest first: opened, updated, resolved, reopened, linked.
arrears_case_history = Table(
    "arrears_case_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("arrears_cases.id"), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("note", String(500), nullable=True),
    Column("detail", Text, nullable=True),  # JSON: the changed fields
    Index("ix_arrears_case_history_case", "case_id", "id"),
)

# A gate's link state over time (central/warnings/gate_links.py): one row each time it came
# online (a heartbeat or events after silence) or went silent/offline; the newest row per
# gate is its "online since" / "offline since".
gate_links = Table(
    "gate_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("state", String(8), nullable=False),  # online | offline
    Column("since", String(40), nullable=False),  # when it began, ISO 8601 with its offset
    Column("cause", String(20), nullable=False),  # status | events | silent
    Column("recorded_at", String(40), nullable=False),
    Index("ix_gate_links_gate", "site", "device", "id"),
)

# ---- gate handovers (enterprise console) (revision 0016) ----

# A gate provisioned from the enterprise console (central/provisioning/gate_handover.py): its
# starter config file (which holds the device's HMAC secret and broker password) waits here,
# sealed, until it is downloaded once; then config_sealed is NULL and only who/when remain.
gate_handovers = Table(
    "gate_handovers",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("device", String(64), primary_key=True),
    Column("config_sealed", LargeBinary, nullable=True),  # AES-GCM; NULL once downloaded
    Column("provisioned_by", String(64), nullable=False),
    Column("provisioned_at", String(40), nullable=False),
    Column("downloaded_by", String(64), nullable=True),
    Column("downloaded_at", String(40), nullable=True),
)

# ---- supplementary punches (补卡) (revision 0018) ----

# Supplementary-punch requests (补卡): a worker asks for a day the gate missed; the site
# manager approves (an attendance correction with the reason, attendance_corrections) or
# refuses with a reason. At most one open request per worker, project and day.
punch_requests = Table(
    "punch_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("local_date", String(10), nullable=False),
    Column("first_in", String(40), nullable=False),  # ISO, site time with offset
    Column("last_out", String(40), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("state", String(12), nullable=False),  # open | approved | refused
    Column("requested_at", String(40), nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", String(40), nullable=True),
    Column("decision_note", String(500), nullable=True),  # the refusal's reason
    Column("correction_id", Integer, nullable=True),  # attendance_corrections.id once approved
    Index("ix_punch_requests_project", "project_id", "state"),
    Index("ix_punch_requests_worker", "worker_id", "local_date"),
)

# ---- e-contracts and safety training (revision 0019) ----

# Labour-contract templates (电子合同模板) of one enterprise: the body is text with
# {placeholders} filled from the employment (central/contracts/templates.py).
contract_templates = Table(
    "contract_templates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", String(40), nullable=True),
    Index("ix_contract_templates_enterprise", "enterprise_id"),
)

# An e-contract per employment (central/contracts/econtracts.py): draft → sent → signed.
# Both PDFs are kept; the signed one's SHA-256 is audited and recorded in ``contracts``
# (``contract_id``), which the wage indicators read (art. 28).
econtracts = Table(
    "econtracts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("employment_id", Integer, ForeignKey("employments.id"), nullable=False),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("employer_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("template_id", Integer, ForeignKey("contract_templates.id"), nullable=False),
    Column("status", String(8), nullable=False),  # draft | sent | signed
    Column("fields", Text, nullable=False),  # JSON: the values filled in
    Column("draft_pdf", LargeBinary, nullable=False),
    Column("draft_sha256", String(64), nullable=False),
    Column("signed_pdf", LargeBinary, nullable=True),
    Column("signed_sha256", String(64), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("sent_at", String(40), nullable=True),
    Column("signed_at", String(40), nullable=True),  # site time with offset
    Column("contract_id", Integer, ForeignKey("contracts.id"), nullable=True),
    Index("ix_econtracts_project_worker", "project_id", "worker_id"),
    Index("ix_econtracts_worker", "worker_id"),
)

# Safety-training courses (安全教育) of one enterprise: material as text or a PDF (capped).
training_courses = Table(
    "training_courses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("hours", Integer, nullable=False),
    Column("valid_days", Integer, nullable=False),  # a completion is valid this many days
    Column("material_text", Text, nullable=True),
    Column("material_pdf", LargeBinary, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_training_courses_enterprise", "enterprise_id"),
)

# A course assigned to a worker of a project; completions are ``trainings`` rows.
training_assignments = Table(
    "training_assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("course_id", Integer, ForeignKey("training_courses.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("assigned_at", String(40), nullable=False),
    Column("assigned_by", String(64), nullable=False),
    Index("ux_training_assignments", "course_id", "project_id", "worker_id", unique=True),
    Index("ix_training_assignments_worker", "worker_id"),
)

# Per project: whether its gates refuse workers without valid safety training, and how many
# days before a training expires the site manager is warned (central/training/entry.py).
training_rules = Table(
    "training_rules",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id"), primary_key=True),
    Column("required", Integer, nullable=False),
    Column("warn_days", Integer, nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# Workers the gallery sync currently keeps off a site's gates for want of valid training:
# what the gates were told, so a change (training recorded, expired) bumps the gallery.
gate_entry_bars = Table(
    "gate_entry_bars",
    metadata,
    Column("site", String(64), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
    Column("reason", String(32), nullable=False),  # no_valid_training
    Column("since", String(40), nullable=False),
)

# ---- worker activation codes (revision 0020) ----

# One-time activation codes for worker accounts (central/auth/activation.py): issued by a site
# manager or contractor admin, valid until ``expires_utc_us``, used once. Only the code's
# SHA-256 is stored; a newer code for the same worker revokes the older ones.
worker_activation_codes = Table(
    "worker_activation_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code_sha256", String(64), nullable=False),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("issued_by", String(64), nullable=False),  # the issuer's username
    Column("created_utc_us", BigInteger, nullable=False),
    Column("expires_utc_us", BigInteger, nullable=False),
    Column("used_utc_us", BigInteger, nullable=True),
    Column("revoked_utc_us", BigInteger, nullable=True),  # replaced by a newer code
    Index("ux_worker_activation_codes_code", "code_sha256", unique=True),
    Index("ix_worker_activation_codes_worker", "worker_id"),
)

# ---- wage complaints and recruitment (招工宝) (revision 0021) ----

# 欠薪投诉: a worker's wage complaint about one of their own projects. Filing opens an arrears
# case and a ``complaint`` warning for the project's supervisors (central/complaints/); the
# worker's view of its progress is read from those two. ``due_on`` is the SLA date fixed at
# filing (settings.complaint_sla_days); the scanner raises ``complaint_overdue`` after it.
wage_complaints = Table(
    "wage_complaints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("months", String(100), nullable=False),  # "2026-09,2026-10"
    Column("amount_fen", BigInteger, nullable=False),  # wages owed as the worker says, fen
    Column("description", String(1000), nullable=False),
    Column("filed_at", String(40), nullable=False),
    Column("due_on", String(10), nullable=False),  # handled by this local date, or overdue
    Column("arrears_case_id", Integer, ForeignKey("arrears_cases.id"), nullable=True),
    Column("warning_id", Integer, ForeignKey("wage_warnings.id"), nullable=True),
    Column("overdue_at", String(40), nullable=True),  # when the SLA warning was raised
    Index("ix_wage_complaints_worker", "worker_id", "id"),
    Index("ix_wage_complaints_due", "overdue_at", "due_on"),
)

# 招工宝: an enterprise's job posts on its projects, workers' applications, their résumés.
job_posts = Table(
    "job_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("city", String(6), nullable=False),  # GB/T 2260 city of the project's site
    Column("trade", String(20), nullable=False),  # central/registry/jobs.py TRADES
    Column("title", String(100), nullable=False),
    Column("pay_fen", BigInteger, nullable=False),  # a day's pay, integer fen
    Column("headcount", Integer, nullable=False),
    Column("starts_on", String(10), nullable=False),
    Column("ends_on", String(10), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("status", String(10), nullable=False),  # open | closed
    Column("created_by", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Index("ix_job_posts_city", "status", "city"),
    Index("ix_job_posts_enterprise", "enterprise_id"),
)

job_applications = Table(
    "job_applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("post_id", Integer, ForeignKey("job_posts.id"), nullable=False),
    Column("worker_id", String(64), ForeignKey("workers.id"), nullable=False),
    Column("status", String(10), nullable=False),  # applied | offered | hired | declined | refused
    Column("applied_at", String(40), nullable=False),
    Column("offer_start_on", String(10), nullable=True),
    Column("offered_by", String(64), nullable=True),
    Column("offered_at", String(40), nullable=True),
    Column("decided_at", String(40), nullable=True),
    Column("employment_id", Integer, ForeignKey("employments.id"), nullable=True),
    Index("ux_job_applications_post_worker", "post_id", "worker_id", unique=True),
    Index("ix_job_applications_worker", "worker_id"),
)

# A worker's opt-in résumé: shown only to the employers of posts they applied to.
worker_resumes = Table(
    "worker_resumes",
    metadata,
    Column("worker_id", String(64), ForeignKey("workers.id"), primary_key=True),
    Column("trade", String(20), nullable=False),
    Column("years", Integer, nullable=False),
    Column("certificates", String(500), nullable=True),
    Column("shared", Integer, nullable=False),  # 1: opted in; 0: kept to themselves
    Column("updated_at", String(40), nullable=False),
)
