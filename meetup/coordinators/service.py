"""Coordinators' world. For now: the hub organisations (the directory and the network come later)."""

from __future__ import annotations

import msgspec

from meetup.coordinators.prefectures import PREFECTURES
from meetup.coordinators.tables import Organization
from meetup.db import write_transaction


class OrganizationOut(msgspec.Struct):
    id: int
    name: str
    name_kana: str
    legal_form: str
    prefecture: str | None
    kind: str
    description: str
    url: str


async def upsert_organization(
    *,
    name: str,
    legal_form: str = "",
    prefecture: str | None = None,
    name_kana: str = "",
    description: str = "",
    url: str = "",
    source: str = "",
) -> int:
    """Create the organisation, or refresh its details when one of that name exists; returns its id."""
    if prefecture is not None and prefecture not in PREFECTURES:
        raise ValueError(f"unknown prefecture {prefecture!r}")
    values = {
        Organization.legal_form: legal_form,
        Organization.prefecture: prefecture,
        Organization.name_kana: name_kana,
        Organization.description: description,
        Organization.url: url,
        Organization.source: source,
    }
    async with write_transaction():
        existing = await Organization.select(Organization.id).where(Organization.name == name).first()
        if existing:
            await Organization.update(values).where(Organization.id == existing["id"])
            return existing["id"]
        rows = await Organization.insert(
            Organization(name=name, **{column._meta.name: value for column, value in values.items()})
        ).returning(Organization.id)
    return rows[0]["id"]


async def list_organizations() -> list[OrganizationOut]:
    rows = await Organization.select().order_by(Organization.prefecture).order_by(Organization.name)
    return [msgspec.convert(row, OrganizationOut, from_attributes=False, strict=False) for row in rows]
