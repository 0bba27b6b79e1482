import pytest

from core.errors import DomainError, PhoneFormatError, RenumberedPhoneError
from core.phones import normalize_phone


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("0912-345-678", "+84912345678"),
        ("(091) 234 5678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("0084 91 234 5678", "+84912345678"),
        ("+84 (0) 912 345 678", "+84912345678"),
        ("+840912345678", "+84912345678"),
        ("0321234567", "+84321234567"),
        ("0521234567", "+84521234567"),
        ("0771234567", "+84771234567"),
        ("0843123456", "+84843123456"),
        ("0981234567", "+84981234567"),
        ("０９１２３４５６７８", "+84912345678"),  # full-width digits
        (" 0912345678 \n", "+84912345678"),
    ],
)
def test_vietnamese_mobiles_are_normalised_to_e164(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("024 3825 1234", "+842438251234"),
        ("(024) 3825.1234", "+842438251234"),
        ("+84 24 3825 1234", "+842438251234"),
        ("0084 24 38251234", "+842438251234"),
    ],
)
def test_ha_noi_landlines_are_normalised_to_e164(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "không có",
        "091234567",  # 9 digits
        "09123456789",  # 11 digits
        "0112345678",  # no such mobile prefix
        "0412345678",
        "0612345678",
        "912345678",  # trunk 0 missing
        "+1 650 253 0000",
        "+85 912 345 678",
        "028 3823 1234",  # Hồ Chí Minh City landline: not served
        "024 3825 123",
        "0912345678 ext 12",
        "0912/345/678",
        "+84+912345678",
        "1900 1234",
    ],
)
def test_anything_else_is_a_phone_format_error(typed: str) -> None:
    with pytest.raises(PhoneFormatError) as caught:
        normalize_phone(typed)
    assert not isinstance(caught.value, RenumberedPhoneError)
    assert caught.value.code == "phone.format"


@pytest.mark.parametrize(
    "typed", ["0168 123 4567", "01681234567", "+84 168 123 4567", "0123.456.7890"]
)
def test_pre_2018_eleven_digit_mobiles_are_refused_as_renumbered(typed: str) -> None:
    with pytest.raises(RenumberedPhoneError) as caught:
        normalize_phone(typed)
    assert isinstance(caught.value, PhoneFormatError)
    assert isinstance(caught.value, DomainError)
    assert caught.value.code == "phone.renumbered"


@pytest.mark.parametrize("typed", ["0912 345 67", "01681234567"])
def test_the_number_stays_out_of_the_error_message(typed: str) -> None:
    with pytest.raises(PhoneFormatError) as caught:
        normalize_phone(typed)
    assert "345" not in str(caught.value)
    assert "123" not in str(caught.value)
