"""Every field a venue, a venue check or a pharmacy check answers is classed in the privacy policy."""

import pytest

from backend.security import privacy
from backend.venues.schemas import PharmacyCheckRead, VenueCheckRead, VenueDetail


@pytest.mark.parametrize(
    ("model", "table"),
    [
        (VenueDetail, privacy.VENUE_FIELDS),
        (VenueCheckRead, privacy.VENUE_CHECK_FIELDS),
        (PharmacyCheckRead, privacy.PHARMACY_CHECK_FIELDS),
    ],
)
def test_every_answered_field_is_classed(model, table):
    assert set(model.model_fields) == set(table)
