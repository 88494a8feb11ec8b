"""Password rules by role: what a new password must be before it is hashed and stored.

Staff accounts (admin, supervisor, contractor admin, site manager) reach many workers' wages
and identities, so their passwords must resist an online guesser that gets only a few tries
(central/auth/throttle.py) and an offline one holding a database backup: at least
``STAFF_MIN_LENGTH`` characters, not the username, not one repeated character or a run like
``1234567890``/``abcdefghij``, and not guessable by zxcvbn (common-password lists, dictionary
words, keyboard patterns, dates, l33t substitutions) below ``STAFF_MIN_SCORE``.

Workers get their own rule (:func:`worker_rule`): they will sign in with a 6-digit PIN on
their phone, so their rule is kept apart from the staff rule and is the one place that
changes when the PIN arrives.

Every refusal says what is wrong with the password and never repeats it.
"""

import itertools
import threading
from collections.abc import Callable

from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # the package ships no type hints

from central.errors import InvalidInput

STAFF_MIN_LENGTH = 10
# zxcvbn score 3: "safely unguessable", about 10^8 guesses or more.
STAFF_MIN_SCORE = 3
WORKER_MIN_LENGTH = 10
MAX_LENGTH = 200
# zxcvbn refuses longer input and takes time quadratic in the length; the first 72
# characters of a long password decide how guessable it is.
_ZXCVBN_SPAN = 72
# zxcvbn's lists are English; these are the words and numbers most common in Chinese
# passwords (Li, Han and Xu, "A Large-Scale Empirical Analysis of Chinese Web Passwords",
# USENIX Security 2014, from the 2011 CSDN, Tianya and other leaks), plus this domain's words.
CHINESE_COMMON = (
    "woaini", "aini", "woaini1314", "5201314", "1314520", "1314", "520", "521", "mima",
    "wodemima", "woshishui", "zhongguo", "china", "beijing", "guangxi", "nanning", "qq",
    "baidu", "taobao", "weixin", "88888888", "666666", "168168", "147258369", "159357",
    "1qaz2wsx", "qwe123", "abc123", "a123456", "wang", "zhang", "liu", "chen", "yang", "huang",
    "zhao", "zhou", "gongdi", "jianzhu", "gongzi", "sitegate", "guijiantong",
)  # fmt: skip
# zxcvbn keeps the user inputs of the call in a module-level dictionary: one call at a time.
_zxcvbn_lock = threading.Lock()


class WeakPassword(InvalidInput):
    """The new password breaks the rule for the account's role."""

    code = "weak_password"


def _trivial(password: str) -> str | None:
    """Why the password is trivial (one character repeated, or a run up or down), or None."""
    if len(set(password)) == 1:
        return "is one character repeated"
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    if len(steps) == 1 and steps <= {1, -1}:
        return "is a plain run of characters"
    return None


def _common_rules(password: str, username: str, min_length: int) -> None:
    if len(password) < min_length:
        raise WeakPassword(f"the password must have at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise WeakPassword("the password must not contain control characters")
    if username and username.lower() in password.lower():
        raise WeakPassword("the password must not contain the username")
    reason = _trivial(password)
    if reason:
        raise WeakPassword(f"the password {reason}")


def staff_rule(password: str, username: str) -> None:
    """Long, not the username, not trivial, and not guessable from common lists and patterns."""
    _common_rules(password, username, STAFF_MIN_LENGTH)
    with _zxcvbn_lock:
        result = zxcvbn(password[:_ZXCVBN_SPAN], user_inputs=[username, *CHINESE_COMMON])
    if result["score"] < STAFF_MIN_SCORE:
        hint = result.get("feedback", {}).get("warning") or "it is too easy to guess"
        raise WeakPassword(
            f"the password is too easy to guess ({hint.rstrip('.')}); use a longer "
            "passphrase of unrelated words"
        )


def worker_rule(password: str, username: str) -> None:
    """Workers' rule: a 6-digit PIN that is not an early guess (central/auth/pins.py; the
    activation also checks it against the worker's own ID and phone number), or a password
    of at least ``WORKER_MIN_LENGTH`` characters."""
    from central.auth.pins import check_pin_shape, is_pin  # pins builds on this module

    if is_pin(password):
        check_pin_shape(password)
        return
    _common_rules(password, username, WORKER_MIN_LENGTH)


# By role value (central.auth.users.Role is a StrEnum of these); an unknown role gets the
# staff rule.
RULES: dict[str, Callable[[str, str], None]] = {
    "admin": staff_rule,
    "supervisor": staff_rule,
    "contractor_admin": staff_rule,
    "site_manager": staff_rule,
    "worker": worker_rule,
}


def check_new_password(password: str, username: str, role: str) -> None:
    """Raise :class:`WeakPassword` unless ``password`` meets the rule of ``role``."""
    RULES.get(str(role), staff_rule)(password, username)
