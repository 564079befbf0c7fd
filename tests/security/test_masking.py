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
    assert mask_id_number("H1234") == "H1*34"


def test_a_number_too_short_to_keep_both_ends_is_starred_entirely():
    # The registry refuses document numbers under 5 characters, so this guards the function, not a route:
    # keeping 2 and 2 of a 4-character number (or 6 and 4 of 10) would show all of it.
    assert mask_id_number("H123") == "****"
    assert mask_id_number("123") == "***"


def test_phones():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0577-65812345") == "*********2345"
    assert "6581" not in mask_phone("0577-65812345")
