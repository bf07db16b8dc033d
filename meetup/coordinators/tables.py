"""Coordinators' world: the hub organisations (gateway organisations) of Tohoku."""

from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organization(Table, tablename="organization"):
    name = Varchar(length=200, unique=True)
    name_kana = Varchar(length=200, default="")
    legal_form = Varchar(length=50, default="")  # 一般社団法人, NPO法人, 株式会社 …
    prefecture = Varchar(length=10, null=True, default=None, index=True)
    kind = Varchar(length=20, default="gateway")
    description = Text(default="")
    url = Varchar(length=500, default="")
    source = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
