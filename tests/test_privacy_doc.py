"""docs/privacy.md lists every field of every record with its class, as the policy has them."""

from backend.security import privacy_doc
from backend.settings import REPO_ROOT


def test_the_privacy_page_lists_every_field_as_the_policy_classes_it():
    page = (REPO_ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    assert privacy_doc.render() in page, "run `qinghu privacy-fields --write` and commit docs/privacy.md"
    for name in ("turns_18_on", "turns_18_soon", "source", "is_sealed", "trigger", "request_id"):
        assert f"| `{name}` |" in page
