"""Synthetic people for the demo county and the tests: made-up names, valid but invented ID numbers.

No real person's data is ever used; the sequence numbers are drawn at random and the names are assembled
from common characters.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from backend.identity import make_mainland_id

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉浩宇轩子涵梓睿欣怡佳琪俊杰诗雨晨阳博文嘉"


@dataclass(frozen=True)
class SyntheticPerson:
    name: str
    id_number: str
    birth_date: date
    gender: str
    phone: str


def synthetic_person(
    rng: random.Random,
    *,
    today: date,
    age: int | None = None,
    area_code: str = "330381",
    gender: str | None = None,
) -> SyntheticPerson:
    """A made-up person of ``age`` (12–17 by default) with a valid mainland ID number."""
    years = age if age is not None else rng.randint(12, 17)
    birth = today - timedelta(days=365 * years + rng.randint(1, 360))
    gender = gender or rng.choice(("male", "female"))
    sequence = rng.randrange(1, 999, 2) if gender == "male" else rng.randrange(0, 998, 2)
    surname = rng.choice(COMPOUND) if rng.random() < 0.03 else rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    phone = "1" + rng.choice("3578") + "".join(str(rng.randint(0, 9)) for _ in range(9))
    return SyntheticPerson(
        surname + given, make_mainland_id(area_code, birth, sequence), birth, gender, phone
    )
