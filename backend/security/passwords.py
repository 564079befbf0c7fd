"""Password hashing (argon2id) and the password policy: one place for both."""

import secrets
from collections.abc import Sequence
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pypinyin import lazy_pinyin
from zxcvbn import zxcvbn

from backend.messages import InvalidValue, Text
from backend.settings import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher().verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(secret_hash: str) -> bool:
    return _hasher().check_needs_rehash(secret_hash)


@lru_cache
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so timing tells nothing."""
    return hash_secret(secrets.token_urlsafe(16))


class WeakPasswordError(InvalidValue):
    def __init__(self, message: str | Text, problem_type: str) -> None:
        super().__init__(message)
        self.problem_type = problem_type


# Words anyone guessing a Qinghu password tries first: the product, the work, the county and its places.
PRODUCT_WORDS = (
    "qinghu",
    "青护",
    "jindu",
    "禁毒",
    "jinduban",
    "禁毒办",
    "jinhu",
    "锦湖",
    "ruian",
    "瑞安",
    "anyang",
    "安阳",
    "wenzhou",
    "温州",
    "zhejiang",
    "浙江",
)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _pinyin_forms(text: str) -> list[str]:
    """How a Chinese name is typed on a Latin keyboard: full pinyin (``zhouyun``), surname last
    (``yunzhou``), initials (``zy``), each syllable (``zhou``, ``yun``)."""
    syllables = [syllable for syllable in lazy_pinyin(text, errors="ignore") if syllable.isalpha()]
    if not syllables:
        return []
    initials = "".join(syllable[0] for syllable in syllables)
    return ["".join(syllables), "".join(syllables[1:] + syllables[:1]), initials, *syllables]


def _forms(text: str) -> list[str]:
    text = text.strip().lower()
    forms = [text, text.replace(" ", "")] if text else []
    return forms + (_pinyin_forms(text) if _is_chinese(text) else [])


def _too_personal(password: str, name: str) -> bool:
    """The password contains the name as a whole: a Chinese name from two characters on (most are two or
    three), any other name or its full pinyin from three."""
    lowered = password.lower()
    whole = [name, name.replace(" ", "")]
    pinyin = _pinyin_forms(name) if _is_chinese(name) else []
    if len(pinyin) > 4:  # two syllables or more: the full pinyin, either order (not initials or syllables)
        whole += pinyin[:2]
    return any(
        form and (len(form) >= 3 or (_is_chinese(form) and len(form) >= 2)) and form in lowered
        for form in whole
    )


def check_password_policy(password: str, *, personal: Sequence[str], context: Sequence[str] = ()) -> None:
    """Refuse short and guessable passwords: one that contains the person's own name or username (Chinese names
    and their pinyin included), and one that zxcvbn finds easy to guess knowing the person, their unit
    (``context``) and the product's own words (common passwords, keyboard runs, dates, ``Qinghu2026!``)."""
    settings = get_settings()
    if len(password) < settings.password_min_length:
        raise WeakPasswordError(
            Text("must be at least {length} characters long", length=settings.password_min_length),
            "password.too_short",
        )
    if len(password) > 128:
        raise WeakPasswordError("must be at most 128 characters long", "password.too_long")
    names = [value.strip().lower() for value in personal if value and value.strip()]
    if any(_too_personal(password, name) for name in names):
        raise WeakPasswordError("must not contain the username or name", "password.personal")
    known_words = [*dict.fromkeys(form for value in [*names, *context] if value for form in _forms(value))]
    strength = zxcvbn(password[:100], user_inputs=[*known_words, *PRODUCT_WORDS])
    if strength["score"] < settings.password_min_strength or _only_known_words(
        password, [*known_words, *PRODUCT_WORDS]
    ):
        raise WeakPasswordError("is too common or easy to guess", "password.too_weak")


def _only_known_words(password: str, words: Sequence[str]) -> bool:
    """The password's letters are nothing but known words (``Ruian-2026!!``: ``ruian``), which zxcvbn scores by
    the digits and symbols around them as if those were random."""
    letters = "".join(char for char in password.lower() if char.isalpha())
    vocabulary = {word for word in words if word}
    # Can letters[:end] be cut into known words? (word break, over at most 128 letters)
    cut = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        cut[end] = any(cut[start] and letters[start:end] in vocabulary for start in range(end))
    return bool(letters) and cut[-1]


def generate_password() -> str:
    """A one-time password for an administrator's reset: readable, strong, never stored in clear."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def generate_client_secret() -> str:
    return secrets.token_urlsafe(32)
