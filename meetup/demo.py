"""Demo data from the source document (shared/seed/next-tohoku-2021.txt).

The gateway organisations are the ones the Tohoku bureau's June 2021 report names as
"ゲートウェイ機能を担う主な組織", grouped in its figure by prefecture; the OCR of that figure
reads "ワカック" for ワカツク, which the same report spells correctly elsewhere. Sample accounts
are clearly marked as samples (サンプル) and use the reserved example.jp domain.
"""

from __future__ import annotations

from meetup.accounts import service as accounts
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import SignupIn
from meetup.coordinators import service as coordinators

SOURCE = "東北経済産業局「東日本大震災からの復興過程で蓄積された資産を活かした持続可能な地域づくり」(2021年6月)"

# (name, legal form, prefecture) as the report's figure groups them.
GATEWAY_ORGANIZATIONS: tuple[tuple[str, str, str], ...] = (
    ("tsumuqu", "一般社団法人", "青森県"),
    ("プラットフォームあおもり", "NPO法人", "青森県"),
    ("あきた総研", "株式会社", "秋田県"),
    ("ドチャベンジャーズ", "一般社団法人", "秋田県"),
    ("みやっこベース", "NPO法人", "岩手県"),
    ("WIZ", "NPO法人", "岩手県"),
    ("パソナ東北創生", "株式会社", "岩手県"),
    ("YAMAGATA DESIGN", "株式会社", "山形県"),
    ("work life shift", "合同会社", "山形県"),
    ("ヤマガタ未来Lab.", "", "山形県"),
    ("ワカツク", "一般社団法人", "宮城県"),
    ("アスヘノキボウ", "NPO法人", "宮城県"),
    ("ISHINOMAKI2.0", "一般社団法人", "宮城県"),
    ("colere(これる)", "合同会社", "宮城県"),
    ("小高ワーカーズベース", "株式会社", "福島県"),
    ("コースター", "NPO法人", "福島県"),
    ("葛力創造舎", "一般社団法人", "福島県"),
    ("相馬はらがま朝市クラブ", "NPO法人", "福島県"),
    ("TATAKIAGE Japan", "一般社団法人", "福島県"),
    ("エフライフ", "株式会社", "福島県"),
)

DEMO_ORGANIZER = ("organizer@example.jp", "tohoku-meetup-demo", "東北経済産業局 事務局（サンプル）")
DEMO_PASSWORD = "sample-password-2021"  # noqa: S105 (published demo password)
SAMPLE_PARTICIPANTS: tuple[tuple[str, str], ...] = (
    ("sample.aomori@example.jp", "青森 花子（サンプル）"),
    ("sample.iwate@example.jp", "岩手 太郎（サンプル）"),
    ("sample.miyagi@example.jp", "宮城 美咲（サンプル）"),
    ("sample.akita@example.jp", "秋田 健（サンプル）"),
    ("sample.yamagata@example.jp", "山形 さくら（サンプル）"),
    ("sample.fukushima@example.jp", "福島 翔（サンプル）"),
)


async def load_demo() -> dict[str, int]:
    """Load (or refresh) the demo data; safe to run again."""
    for name, legal_form, prefecture in GATEWAY_ORGANIZATIONS:
        await coordinators.upsert_organization(
            name=name,
            legal_form=legal_form,
            prefecture=prefecture,
            description="ゲートウェイ機能を担う主な組織（東北経済産業局 調べ）",
            source=SOURCE,
        )
    email, password, name = DEMO_ORGANIZER
    await accounts.make_organizer(email, password, name)
    limiter = RateLimiter()
    created = 0
    for email, name in SAMPLE_PARTICIPANTS:
        if await accounts.find_user_by_email(email) is None:
            await accounts.signup(
                SignupIn(email=email, password=DEMO_PASSWORD, display_name=name),
                limiter=limiter,
                client="seed",
            )
            created += 1
    return {"organizations": len(GATEWAY_ORGANIZATIONS), "participants_created": created}


async def database_is_empty() -> bool:
    return await accounts.count_accounts() == 0
