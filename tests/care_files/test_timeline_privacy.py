"""Who reads what of a care file's timeline, written out: an entry's summary, urine result and referral are
the sensitive class (docs/care-files.md), full or hidden — never masked; an entry whose kind tells of drug use
is left out where contents are hidden; and a sealed minor's timeline is hidden from all but a county-level
lead."""

import pytest

from tests.care_files.conftest import CARE_FILES, days_ago
from tests.conftest import assert_status

CONTENTS = ("summary", "urine_result", "referral_kind")
# reader: (contents of an open record's entries, contents once the minor's record is sealed); None: refused.
TIMELINE_TABLE = {
    "jinhu_worker": ("full", "hidden"),
    "jinhu_lead": ("full", "hidden"),
    "county_lead": ("full", "full"),
    "auditor": ("hidden", "hidden"),
    # On the file's team (named by a lead); a file not naming them is 404 (test_team.py).
    "jinhu_police": ("hidden", "hidden"),
    "school_teacher": ("hidden", "hidden"),
    "admin": None,
    "edu_officer": None,
}
TEAM_READERS = {"jinhu_police": "police_officer", "school_teacher": "teacher"}
ENTRIES = [
    {"kind": "talk", "summary": "谈心谈话，情绪稳定"},
    {"kind": "urine_test", "summary": "社区尿检", "urine_result": "negative"},
    {"kind": "referral", "summary": "转介就业培训", "referral_kind": "job"},
]


@pytest.mark.parametrize("sealed", [False, True], ids=["open", "sealed"])
@pytest.mark.parametrize("reader", list(TIMELINE_TABLE))
async def test_each_reader_gets_the_timeline_as_the_table_says(
    client, login, open_file, user_id, reader, sealed
):
    care_file = await open_file()
    worker = await login("jinhu_worker")
    if reader in TEAM_READERS:
        named = await client.patch(
            f"{CARE_FILES}/{care_file['id']}",
            json={"team": [{"role": TEAM_READERS[reader], "user_id": await user_id(reader)}]},
            headers={**await login("jinhu_lead"), "If-Match": f'"{care_file["version"]}"'},
        )
        assert_status(named, 200)
    for days, entry in enumerate(ENTRIES):
        body = {"occurred_at": days_ago(3 - days), **entry}
        assert_status(
            await client.post(f"{CARE_FILES}/{care_file['id']}/entries", json=body, headers=worker), 201
        )
    if sealed:
        lead = await login("jinhu_lead")
        minor_url = f"/api/v1/minors/{care_file['minor']['id']}"
        current = assert_status(await client.get(minor_url, headers=lead), 200)
        assert_status(
            await client.patch(
                minor_url, json={"is_sealed": True}, headers={**lead, "If-Match": current.headers["etag"]}
            ),
            200,
        )
    response = await client.get(f"{CARE_FILES}/{care_file['id']}/entries", headers=await login(reader))
    expected = TIMELINE_TABLE[reader]
    if expected is None:
        assert response.status_code == 403, response.text
        return
    seen = expected[1] if sealed else expected[0]
    entries = assert_status(response, 200).json()["items"]
    if seen == "full":
        assert [entry["kind"] for entry in entries] == ["referral", "urine_test", "talk"]  # newest first
        written_entries = list(reversed(ENTRIES))
    else:
        # An entry whose very kind tells of drug use (a urine test) is left out altogether.
        assert [entry["kind"] for entry in entries] == ["referral", "talk"]
        written_entries = [entry for entry in reversed(ENTRIES) if entry["kind"] != "urine_test"]
    for shown, written in zip(entries, written_entries, strict=True):
        if seen == "full":
            assert {field: shown.get(field) for field in CONTENTS} == {
                field: written.get(field) for field in CONTENTS
            }
            assert shown["hidden_fields"] == []
        else:
            assert not set(CONTENTS) & set(shown), shown
            assert sorted(shown["hidden_fields"]) == sorted(CONTENTS)
            assert written["summary"] not in str(shown)
        # What happened and when stays visible: the worklists depend on it.
        assert shown["kind"] == written["kind"]
