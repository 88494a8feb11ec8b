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
    Column("secret_hex", String(128), nullable=False),
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
)

DEAD_LETTER_PAYLOAD_CAP = 16 * 1024

# --- Wages (issue 7): real-name registry, attendance days, payroll, warnings, users --------
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
    Column("half_days", Integer, nullable=False),  # days worked × 2 (half days count 1)
    Column("worked_minutes", Integer, nullable=False),
    Column("ot_workday_minutes", Integer, nullable=False),
    Column("ot_restday_minutes", Integer, nullable=False),
    Column("ot_holiday_minutes", Integer, nullable=False),
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
    Index("ux_payroll_lines_batch_worker", "batch_id", "worker_id", unique=True),
    Index("ix_payroll_lines_worker", "worker_id"),
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
    Column("subject", String(200), nullable=False),
    Column("evidence", Text, nullable=False),  # JSON
    Column("state", String(10), nullable=False),  # open | handled
    Column("note", String(500), nullable=True),
    Column("handled_by", String(64), nullable=True),
    Column("handled_at", String(40), nullable=True),
    Column("created_at", String(40), nullable=False),
    Index("ix_wage_warnings_project_state", "project_id", "state"),
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
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),  # the token itself is never stored
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("expires_utc_us", BigInteger, nullable=False),
)

WAGE_TABLES = (
    enterprises,
    projects,
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
    users,
    api_tokens,
)

# --- Dust (issue 4): window means and alarms from the gates' dust monitors ----------------
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

# --- Device identity, remote config and gallery sync (issue 5) ------------------------------

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
