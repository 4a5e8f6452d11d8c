"""The unified social credit code (统一社会信用代码) and its check character (GB 32100-2015)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from pathscore.crm.validators import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    validate_credit_code,
)

VALID = "91350100M000100Y43"


def with_check(first17: str) -> str:
    return first17 + credit_code_check_character(first17)


def test_the_reference_code_is_valid():
    assert credit_code_check_character(VALID[:17]) == VALID[17]
    validate_credit_code(VALID)


def test_lower_case_and_spaces_around_are_accepted():
    validate_credit_code(f"  {VALID.lower()} ")


@pytest.mark.parametrize(
    ("typo", "code"),
    [
        ("wrong check character", VALID[:17] + "4"),
        ("one digit changed", VALID[:3] + "6" + VALID[4:]),
        ("two neighbours swapped", VALID[:8] + VALID[9] + VALID[8] + VALID[10:]),
    ],
)
def test_typos_are_caught_by_the_check_character(typo, code):
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == "checksum"


@pytest.mark.parametrize("code", ["", VALID[:17], VALID + "0"])
def test_wrong_length_says_how_long_it_is(code):
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == "length"
    assert str(len(code.strip())) in caught.value.messages[0]


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_outside_the_alphabet_are_named(letter):
    code = VALID[:10] + letter + VALID[11:]
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == "alphabet"
    assert letter in caught.value.messages[0]


@given(st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17))
def test_any_code_with_its_check_character_is_valid(first17):
    validate_credit_code(with_check(first17))


@given(
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17),
    st.integers(min_value=0, max_value=16),
    st.integers(min_value=1, max_value=30),
)
def test_any_single_character_typo_is_caught(first17, position, shift):
    # Every weight is prime to 31, so changing any one character changes the check.
    code = with_check(first17)
    wrong = CREDIT_CODE_ALPHABET[(CREDIT_CODE_ALPHABET.index(code[position]) + shift) % 31]
    typo = code[:position] + wrong + code[position + 1 :]
    with pytest.raises(ValidationError):
        validate_credit_code(typo)
