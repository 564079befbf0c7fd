"""File names in Content-Disposition (RFC 6266 + RFC 8187): whatever a name holds — quotes, ";", CR/LF, path
separators, Chinese — a download names exactly one ``filename`` and one ``filename*``, read back by the
standard library's parser."""

import re
from email.message import Message
from email.utils import collapse_rfc2231_value

import pytest

from backend.exports import content_disposition
from tests.campaigns.conftest import PDF, my_reports

# What every header must look like: the type, a quoted ASCII name of harmless characters, the encoded name.
_SHAPE = re.compile(
    r"^(attachment|inline); filename=\"[A-Za-z0-9 ._()\[\]+,!#$&@^~-]+\"; filename\*=UTF-8''[A-Za-z0-9%._~-]+$"
)


def parse(header: str) -> tuple[str, str, str]:
    """(disposition, filename, filename*) as email.message reads the header; fails unless there is exactly one
    of each name and nothing else."""
    assert _SHAPE.fullmatch(header), header
    message = Message()
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition")
    assert params is not None
    (disposition, _), *names = params
    plain = [value for key, value in names if key == "filename" and isinstance(value, str)]
    extended = [value for key, value in names if key == "filename" and isinstance(value, tuple)]
    assert len(names) == 2, names
    assert len(plain) == 1, names
    assert len(extended) == 1, names
    assert extended[0][0] == "UTF-8"
    return disposition, plain[0], collapse_rfc2231_value(extended[0])


@pytest.mark.parametrize(
    ("name", "fallback", "full"),
    [
        ("教案.pdf", "download.pdf", "教案.pdf"),
        ("plan 2026.xlsx", "plan 2026.xlsx", "plan 2026.xlsx"),
        (
            "报告\"; filename*=UTF-8''evil.exe;.pdf",
            "__ filename__UTF-8__evil.exe_.pdf",
            "报告\"; filename*=UTF-8''evil.exe;.pdf",
        ),
        ("第一行\r\nX-Injected: 1.pdf", "X-Injected_ 1.pdf", "第一行X-Injected: 1.pdf"),
        ("../../etc/passwd", "_.._etc_passwd", "_.._etc_passwd"),
        ("C:\\Users\\张三\\照片.png", "C__Users__.png", "C:_Users_张三_照片.png"),
        # A right-to-left override would show "invoice_exe.pdf" for a program: format characters go.
        ("invoice\u202efdp.exe", "invoicefdp.exe", "invoicefdp.exe"),
        ('back\\slash "quoted" 100%.txt', "back_slash _quoted_ 100_.txt", 'back_slash "quoted" 100%.txt'),
        ("", "download", "download"),
        ("\r\n", "download", "download"),
    ],
)
def test_every_name_gives_one_filename_and_one_filename_star(name: str, fallback: str, full: str) -> None:
    assert parse(content_disposition(name)) == ("attachment", fallback, full)
    assert parse(content_disposition(name, inline=True)) == ("inline", fallback, full)


async def test_an_evidence_file_named_to_inject_a_parameter_downloads_under_its_own_name(
    client, login, published
):
    campaign = await published()
    teacher = await login("school_teacher")
    report = (await my_reports(client, teacher, campaign["id"]))[0]
    name = "报告\"; filename*=UTF-8''evil.exe;\t.pdf"
    # Written by hand: a client library would percent-encode the quote, which is what the attack avoids.
    boundary = "qinghu-test-boundary"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{escaped}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    upload = await client.post(
        f"/api/v1/task-reports/{report['id']}/evidence",
        content=body,
        headers={**teacher, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert upload.status_code == 201, upload.text
    evidence = upload.json()
    # The tab went at upload (not printable); the quote and ";" are part of the name as the teacher gave it.
    assert evidence["filename"] == "报告\"; filename*=UTF-8''evil.exe;.pdf"
    url = f"/api/v1/task-reports/{report['id']}/evidence/{evidence['id']}"
    download = await client.get(url, headers=teacher)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-disposition"] == (
        'attachment; filename="__ filename__UTF-8__evil.exe_.pdf"; '
        "filename*=UTF-8''%E6%8A%A5%E5%91%8A%22%3B%20filename%2A%3DUTF-8%27%27evil.exe%3B.pdf"
    )
    assert parse(download.headers["content-disposition"]) == (
        "attachment",
        "__ filename__UTF-8__evil.exe_.pdf",
        "报告\"; filename*=UTF-8''evil.exe;.pdf",
    )
    shown = await client.get(url, params={"inline": "true"}, headers=teacher)
    assert parse(shown.headers["content-disposition"]) == (
        "inline",
        "__ filename__UTF-8__evil.exe_.pdf",
        "报告\"; filename*=UTF-8''evil.exe;.pdf",
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_an_export_named_after_a_campaign_title_keeps_one_file_name(
    client, login, published, file_format
):
    campaign = await published(title="禁毒\"; filename*=UTF-8''evil.exe;\r\n专项/行动\\2026")
    response = await client.get(
        f"/api/v1/campaigns/{campaign['id']}/progress",
        params={"format": file_format},
        headers=await login("edu_officer"),
    )
    assert response.status_code == 200, response.text
    assert parse(response.headers["content-disposition"]) == (
        "attachment",
        f"__ filename__UTF-8__evil.exe___2026-.{file_format}",
        f"禁毒\"; filename*=UTF-8''evil.exe;专项_行动_2026-进展统计表.{file_format}",
    )
