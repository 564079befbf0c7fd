"""School staff reach their own school's pupils and no one else in the township their school sits in."""

from tests.conftest import assert_problem
from tests.minors.conftest import MINORS


async def test_a_jinhu_minor_who_is_not_the_teachers_pupil_does_not_exist_for_the_teacher(
    client, login, register, person, county
):
    pupil_of_another_school, without_school, pupil = person(), person(), person()
    elsewhere = await register(
        pupil_of_another_school, school_id=str(county["units"]["瑞安市锦湖第一小学"].id)
    )
    unschooled = await register(without_school, schooling_status="dropped_out")
    own = await register(pupil, school_id=str(county["units"]["瑞安市锦湖中学"].id))
    # All three are managed by 锦湖街道, the township the teacher's school sits in.
    for minor in (elsewhere, unschooled, own):
        assert minor["managing_unit"]["name"] == "锦湖街道"
    teacher = await login("school_teacher")

    listed = await client.get(MINORS, params={"limit": 200}, headers=teacher)
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [own["id"]]
    assert listed.json()["total"] == 1

    for stranger, minor in ((pupil_of_another_school, elsewhere), (without_school, unschooled)):
        assert_problem(await client.get(f"{MINORS}/{minor['id']}", headers=teacher), 404)
        assert_problem(
            await client.post(f"{MINORS}/lookup", json={"id_number": stranger.id_number}, headers=teacher),
            404,
        )

    detail = await client.get(f"{MINORS}/{own['id']}", headers=teacher)
    assert detail.status_code == 200, detail.text
    found = await client.post(f"{MINORS}/lookup", json={"id_number": pupil.id_number}, headers=teacher)
    assert found.status_code == 200, found.text
    assert found.json()["id"] == own["id"]
