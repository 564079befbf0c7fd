"""`qinghu remind` from the command line (as cron runs it): one digest per person and day, a second run on the same
day stores and sends nothing, a day that is not a date is refused in one line."""

import re

from tests.test_cli import cli_database, invoke  # noqa: F401 - the command's fixture and runner


def test_remind_twice_on_one_day_stores_one_digest_each(cli_database):  # noqa: F811
    assert invoke("migrate").exit_code == 0
    assert invoke("seed-demo").exit_code == 0

    first = invoke("remind", "--day", "2026-12-02")
    assert first.exit_code == 0, first.output
    stored = re.search(
        r"2026-12-02: 9 people, (\d+) digests stored, 0 already stored today; no other channel", first.output
    )
    assert stored, first.output
    assert int(stored.group(1)) >= 1

    second = invoke("remind", "--day", "2026-12-02")
    assert second.exit_code == 0, second.output
    assert f"9 people, 0 digests stored, {stored.group(1)} already stored today" in second.output

    # Another day is another digest.
    next_day = invoke("remind", "--day", "2026-12-03")
    assert "0 already stored today" in next_day.output


def test_remind_refuses_a_day_that_is_not_a_date(cli_database):  # noqa: F811
    refused = invoke("remind", "--day", "2026-13-01")
    assert refused.exit_code == 1
    assert "--day: not a date in the form YYYY-MM-DD: '2026-13-01'" in refused.output
