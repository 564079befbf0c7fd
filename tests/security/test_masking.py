"""Masked formats of docs/privacy.md."""

import pytest

from backend.security.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),  # a two-character name is a family name and a given name, even if it looks compound
        ("李", "*"),
        (" 陈 晨 ", "陈**"),
    ],
)
def test_names_keep_the_family_name(name, masked):
    assert mask_name(name) == masked


def test_id_numbers_keep_six_and_four():
    assert mask_id_number("330381200901011231") == "330381********1231"
    assert mask_id_number("H12345678") == "H1*****78"


def test_phones():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0577-65812345") == "*********2345"
    assert "6581" not in mask_phone("0577-65812345")
