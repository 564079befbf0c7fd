from fastapi import APIRouter
from pydantic import BaseModel, Field

from backend.reference import registered_enums

router = APIRouter(tags=["reference"])


class Label(BaseModel):
    code: str
    zh: str
    en: str


class ReferenceData(BaseModel):
    """Every enum of the API: its codes with Chinese and English labels, in the order they are meant to be shown."""

    enums: dict[str, list[Label]] = Field(
        examples=[{"unit_kinds": [{"code": "school", "zh": "学校", "en": "School"}]}]
    )


@router.get("/reference", response_model=ReferenceData, summary="Codes and labels of every enum")
async def read_reference() -> ReferenceData:
    return ReferenceData(
        enums={
            name: [Label(code=member.value, zh=member.zh, en=member.en) for member in enum_class]
            for name, enum_class in registered_enums().items()
        }
    )
