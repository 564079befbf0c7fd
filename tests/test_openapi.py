"""The committed spec is the served spec, and every operation is documented for generated clients."""

import json

from backend.cli import OPENAPI_PATH, render_spec


async def test_committed_spec_equals_the_served_one(client):
    served = (await client.get("/openapi.json")).json()
    committed = json.loads(OPENAPI_PATH.read_text())
    assert committed == served, "openapi/openapi.json is stale: run `make openapi` and commit it"
    assert OPENAPI_PATH.read_text() == render_spec(served)


async def test_every_operation_has_id_tag_typed_responses_and_problems(client):
    spec = (await client.get("/openapi.json")).json()
    operation_ids = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("operationId"), (method, path)
            assert operation["operationId"] not in operation_ids
            operation_ids.add(operation["operationId"])
            assert operation.get("tags"), (method, path)
            assert operation.get("summary"), (method, path)
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            if path.startswith("/api/v1/") and path != "/api/v1/reference":
                problems = [code for code in responses if code[0] in "45"]
                assert problems, (method, path)
                for code in problems:
                    assert "application/problem+json" in responses[code]["content"], (method, path, code)
    assert "Problem" in spec["components"]["schemas"]
    assert (
        spec["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"]
        == "/api/v1/auth/token"
    )
