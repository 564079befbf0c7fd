"""The printable written notice as a page: the page policy, no inline style or script, its stylesheet served
by this server (so it prints styled in a tab of its own and inside the web app's frame alike)."""

from tests.care_files.conftest import TRANSFERS
from tests.test_http import PAGE_POLICY, PageLinks, policy_of


async def test_the_notice_is_a_page_under_the_strict_policy_with_a_linked_stylesheet(
    client, login, open_file, county
):
    care_file = await open_file()
    created = await client.post(
        TRANSFERS,
        json={
            "minor_id": care_file["minor"]["id"],
            "to_unit_id": str(county["units"]["安阳街道"].id),
            "reason": "实际居住地在安阳街道",
        },
        headers=await login("jinhu_worker"),
    )
    assert created.status_code == 201, created.text
    notice = await client.get(
        f"{TRANSFERS}/{created.json()['id']}/notice", headers=await login("other_worker")
    )
    assert notice.status_code == 200
    assert notice.headers["content-type"].startswith("text/html")
    assert notice.headers["Content-Security-Policy"] == PAGE_POLICY
    policy_of(notice)
    links = PageLinks(notice.text)
    assert links.inline_script_nonces == []
    assert links.inline_styles == 0
    assert links.urls == ["/static/printable.css"]
    stylesheet = await client.get("/static/printable.css")
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert "border-collapse: collapse" in stylesheet.text
