"""Demo data from the source document (shared/seed/next-tohoku-2021.txt).

The gateway organisations are the ones the Tohoku bureau's June 2021 report names as
"ゲートウェイ機能を担う主な組織", grouped in its figure by prefecture; the OCR of that figure
reads "ワカック" for ワカツク, which the same report spells correctly elsewhere. Sample accounts
are clearly marked as samples (サンプル) and use the reserved example.jp domain.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import msgspec

from meetup import settings
from meetup.accounts import service as accounts
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import SignupIn
from meetup.cases import challenges
from meetup.cases import service as cases
from meetup.cases.schemas import CaseIn, ChallengeIn, InterestIn
from meetup.coordinators import connections, organization_invitations, organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.prefectures import TOHOKU
from meetup.coordinators.schemas import ProfileIn
from meetup.db import utcnow, write_transaction
from meetup.events import alumni_import, audit, cohosts, completion, enrolment, seats, series, tickets
from meetup.events import registration as registrations
from meetup.events import service as events
from meetup.events.schemas import (
    Audience,
    EnrolmentIn,
    EnrolmentRule,
    EventIn,
    EventPatch,
    Lecturer,
    Question,
    RegistrationIn,
    SeriesPatch,
)
from meetup.followups import campaigns, follows
from meetup.followups.schemas import CampaignIn, FollowIn, NetworkAudience, NetworkCampaignIn
from meetup.i18n import TOKYO
from meetup.reports import receive
from meetup.reports import service as reports
from meetup.reports.demo_pdf import one_page_pdf
from meetup.reports.receive import Received
from meetup.reports.schemas import ReportIn
from meetup.site import storage
from meetup.surveys import service as surveys
from meetup.surveys.schemas import ResponseIn, SurveyIn, SurveyQuestion

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

# Other bodies the document names (support, university, incubators): name, kind, prefecture, summary.
NAMED_ORGANIZATIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "東北大学 地域イノベーション研究センター",
        "university",
        "宮城県",
        "地域イノベーションプロデューサー塾・右腕人材育成プログラム",
    ),
    ("中小機構 東北本部（T-Biz）", "support", "宮城県", "創業・新事業展開の支援施設"),
    ("みやぎ産業振興機構（みやぎ復興パーク）", "support", "宮城県", "復興過程で整った共創インフラ"),
    ("INTILAQ東北イノベーションセンター", "incubator", "宮城県", "起業家とイノベーションの拠点"),
    ("東北経済産業局", "other", "宮城県", "NEXT TOHOKU MEETUP 事務局"),
)
# Organisation admins in the demo: (sample participant's e-mail, organisation).
ORGANIZATION_ADMINS = (("sample.miyagi@example.jp", "ワカツク"), ("sample.akita@example.jp", "ドチャベンジャーズ"))

DEMO_ORGANIZER = ("organizer@example.jp", "tohoku-meetup-demo", "東北経済産業局 事務局（サンプル）")
DEMO_PASSWORD = "sample-password-2021"  # noqa: S105 (published demo password)
# The site's admin in the demo (gives and takes the organizer role on /admin/accounts).
DEMO_ADMIN = ("admin@example.jp", "tohoku-meetup-admin", "東北経済産業局 サイト管理（サンプル）")
# A gateway organisation's person co-hosts the next forum: ドチャベンジャーズ's sample admin.
DEMO_COHOST = ("sample.akita@example.jp", "coordinator-forum-next")
SAMPLE_PARTICIPANTS: tuple[tuple[str, str], ...] = (
    ("sample.aomori@example.jp", "青森 花子（サンプル）"),
    ("sample.iwate@example.jp", "岩手 太郎（サンプル）"),
    ("sample.miyagi@example.jp", "宮城 美咲（サンプル）"),
    ("sample.akita@example.jp", "秋田 健（サンプル）"),
    ("sample.yamagata@example.jp", "山形 さくら（サンプル）"),
    ("sample.fukushima@example.jp", "福島 翔（サンプル）"),
)


# The series: (slug, title, description in Markdown), from the source document.
MIGITE = "migite-2021"
MIGITE_TITLE = "右腕人材育成プログラム 〜将来の経営幹部を育てる、充実の7日間〜"
MIGITE_SUMMARY = (
    "東北経済産業局が東北大学地域イノベーション研究センターと連携し、地域未来牽引企業の経営者を支え、"
    "経営者と同じ目線で経営課題を解決しうる経営幹部（「右腕人材」）を育成する全7回の講座です。\n\n"
    "- 集合研修（仙台）3日とオンライン講義4回の組み合わせ\n"
    "- 講師：藤本 雅彦 氏（東北大学 大学院経済学研究科 教授／地域イノベーション研究センター長）\n\n"
    "今後は同センターの「地域イノベーションプロデューサー塾（RIPS）」などとの連携による担い手づくりを予定しています。\n\n"
    "## 受講にあたって\n\n"
    "- インターネット環境を備えたパソコン、タブレット等が必要となりますので、ご準備ください。\n"
    "- 新型コロナウイルスの感染拡大に鑑み、スケジュールや開催方法を変更する可能性があります。\n"
    "- 定員を上回るご応募をいただいた場合は、講師とも相談のうえ受講者を決定します。\n\n"
    "お問い合わせ：東北経済産業局（TEL 022-221-4876）"
)
# The lecturer the document gives for the programme (講師), at each of its sessions.
MIGITE_LECTURER = Lecturer(
    name="藤本 雅彦",
    affiliation="東北大学 大学院経済学研究科 教授／地域イノベーション研究センター長",
    bio=(
        "1959年、北海道生まれ。1983年、東北大学教育学部卒業。1999年、東北大学大学院経済学研究科博士課程修了"
        "（博士（経済学））。株式会社リクルートおよびIT企業取締役などを経て、2004年、東北大学大学院経済学研究科"
        "助教授。2007年同教授。著書に『若手社員を一人前に育てる』（産業能率大学出版部）などがある。"
    ),
)
COORDINATOR_FORUM = "coordinator-forum"
COORDINATOR_FORUM_TITLE = "東北コーディネーター・フォーラム"
COORDINATOR_FORUM_SUMMARY = (
    "NEXT TOHOKU MEETUP の中心となるフォーラムです。東北の復興や地域活性化を支えてきたのは、"
    "各地域で奮闘してきたコーディネーターであり、関係人口が注目されるこれからの地方創生でも大きな役割を果たします。\n\n"
    "第一弾は2021年3月1日にオンラインで開催し、東北内外のハブ人材100名超が参加しました。"
    "各地のコーディネーターが出会い、つながり、価値を共に創る場として続けていきます。"
)
SERIES = (
    (MIGITE, MIGITE_TITLE, MIGITE_SUMMARY),
    (COORDINATOR_FORUM, COORDINATOR_FORUM_TITLE, COORDINATOR_FORUM_SUMMARY),
)
SENDAI = "仙台（集合研修）"
# (month, day, start, end, format, theme) from the programme's own timetable (2021).
MIGITE_SESSIONS = (
    (1, 16, "10:30", "17:00", "in_person", "開講式／オリエンテーション　I 経営戦略と事業イノベーション"),
    (1, 19, "18:00", "21:00", "online", "1. マーケティングの基礎"),
    (1, 26, "18:00", "21:00", "online", "2. 新たな顧客価値と顧客の創造"),
    (1, 30, "10:30", "17:00", "in_person", "II 経営計画とPDCA"),
    (2, 2, "18:00", "21:00", "online", "3. 組織のマネジメント"),
    (2, 9, "18:00", "21:00", "online", "4. リーダーシップ"),
    (2, 14, "10:30", "17:00", "in_person", "III マネジメントの実践　終講式"),
)


def _jst(year: int, month: int, day: int, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def _days_ahead(days: int, hhmm: str) -> datetime:
    base = utcnow().astimezone(TOKYO) + timedelta(days=days)
    return _jst(base.year, base.month, base.day, hhmm)


async def _forum(slug: str, data: EventIn, organizer_id: int) -> bool:
    """Create the demo forum unless it is there already; True when created. A forum loaded
    before it had a series joins it."""
    if await events.forum_exists(slug):
        found = await events.get_event(slug, None, organizer=True)
        if data.series and found.series is None:
            await events.update_event(slug, EventPatch(series=data.series))
        if data.lecturers and not found.lecturers:  # loaded before sessions had lecturers
            await events.update_event(slug, EventPatch(lecturers=data.lecturers))
        return False
    await events.create_event(data, organizer_id, slug=slug)
    return True


async def load_forums(organizer_id: int) -> int:
    """The real 2021 programme and forum, and upcoming demo forums to register for (the upcoming
    ones with a host, a prefecture and themes, so following them means something)."""
    created = 0
    hosts = {o.name: o.id for o in await organizations.list_organizations()}
    for slug, title, summary in SERIES:
        await events.ensure_series(slug, title, summary)
    for number, (month, day, start, end, form, theme) in enumerate(MIGITE_SESSIONS, start=1):
        data = EventIn(
            title=f"右腕人材育成プログラム 第{number}回：{theme}",
            summary="経営幹部（右腕人材）育成のための講座（東北大学地域イノベーション研究センター連携）",
            starts_at=_jst(2021, month, day, start),
            ends_at=_jst(2021, month, day, end),
            format=form,
            venue=SENDAI if form == "in_person" else "",
            status="published",
            series=MIGITE,
            lecturers=[MIGITE_LECTURER],
        )
        created += await _forum(f"migite-2021-{number}", data, organizer_id)
    forum_2021 = EventIn(
        title="東北コーディネーター・フォーラム 〜東北との「関わり」を愛する仲間たちの集い〜",
        summary="NEXT TOHOKU MEETUP 第一弾。東北内外のハブ人材のネットワーク化を促進（100名超が参加）。",
        description=(
            "東北の復興や地域活性化を支えてきたのは、各地域で奮闘してきたコーディネーターであり、"
            "関係人口が注目されるこれからの地方創生でも大きな役割を果たします。\n\n"
            "- 日時：令和3年3月1日（月）14:00〜16:00\n- 会場：Microsoft Teams（オンライン）"
        ),
        starts_at=_jst(2021, 3, 1, "14:00"),
        ends_at=_jst(2021, 3, 1, "16:00"),
        format="online",
        capacity=150,
        status="published",
        series=COORDINATOR_FORUM,
    )
    created += await _forum("coordinator-forum-2021", forum_2021, organizer_id)
    upcoming = (
        (
            "coordinator-forum-next",
            EventIn(
                title="第2回 東北コーディネーター・フォーラム（デモ）",
                summary="東北各地のハブ・コーディネーターが集まり、ブレイクアウトで事例と課題を共有します。",
                description="## プログラム\n\n1. 基調講演：ネットワークという資産\n"
                "2. ブレイクアウト（テーマ別）\n3. 全体共有",
                starts_at=_days_ahead(21, "14:00"),
                ends_at=_days_ahead(21, "16:30"),
                format="online",
                online_url="https://teams.example/meet/next-tohoku-demo",
                capacity=100,
                status="published",
                series=COORDINATOR_FORUM,
                questions=[Question(id="organization", label="所属団体", kind="text", required=True)],
                themes=["関係人口", "まちづくり"],
            ),
        ),
        (
            "kankei-jinko-ishinomaki",
            EventIn(
                title="関係人口×インターン 実践セミナー in 石巻（デモ）",
                summary="域外人材の受入れと伴走支援の実践を学ぶハイブリッドセミナー。東北各県に参加枠あり（抽選）。",
                starts_at=_days_ahead(35, "13:00"),
                ends_at=_days_ahead(35, "17:00"),
                format="hybrid",
                venue="宮城県石巻市（会場はサンプル）",
                online_url="https://teams.example/meet/ishinomaki-demo",
                capacity=30,
                registration_mode="lottery",
                registration_closes_at=_days_ahead(21, "17:00"),
                draws_at=_days_ahead(22, "12:00"),
                status="published",
                organization=hosts.get("ISHINOMAKI2.0"),
                prefecture="宮城県",
                themes=["関係人口", "インターン"],
                questions=[
                    Question(
                        id="interest",
                        label="関心のあるテーマ",
                        kind="checkbox",
                        options=["移住", "関係人口", "インターン", "事業承継"],
                    )
                ],
            ),
        ),
        (
            "dx-workshop-sendai",
            EventIn(
                title="東北DX推進ワークショップ（デモ）",
                summary="地域企業のDX推進に資するアセットを持ち寄る少人数ワークショップ（承認制）。",
                starts_at=_days_ahead(49, "10:00"),
                ends_at=_days_ahead(49, "12:00"),
                format="in_person",
                venue="仙台市（会場はサンプル）",
                capacity=20,
                registration_mode="approval",
                status="published",
                organization=hosts.get("ワカツク"),
                prefecture="宮城県",
                themes=["DX", "事業承継"],
            ),
        ),
    )
    for slug, data in upcoming:
        created += await _forum(slug, data, organizer_id)
    await events.ensure_series(RIPS, RIPS_TITLE, RIPS_SUMMARY)
    ob_forum = EventIn(
        title="RIPS OB会 研究会（デモ）",
        summary="地域イノベーションプロデューサー塾の卒塾生が、業種や卒塾期を超えて事業連携を語り合う研究会です。",
        description="卒塾生のみが参加できます（修了生として登録された方が対象）。\n\n"
        "- 近況共有と事業連携の相談\n- テーマ別の分科会",
        starts_at=_days_ahead(42, "18:00"),
        ends_at=_days_ahead(42, "20:00"),
        format="online",
        online_url="https://teams.example/meet/rips-ob-demo",
        capacity=40,
        status="published",
        audience=Audience(alumni_of=[RIPS]),
    )
    created += await _forum(RIPS_OB_FORUM, ob_forum, organizer_id)
    return created


async def register_samples() -> None:
    """Sample participants register for the upcoming demo forums (skipped once done)."""
    next_forum = await events.event_row("coordinator-forum-next")
    lottery = await events.event_row("kankei-jinko-ishinomaki")
    for email, _name in SAMPLE_PARTICIPANTS:
        user = await accounts.find_user_by_email(email)
        prefecture = {
            "aomori": "青森県", "iwate": "岩手県", "miyagi": "宮城県",
            "akita": "秋田県", "yamagata": "山形県", "fukushima": "福島県",
        }[email.split("@")[0].removeprefix("sample.")]  # fmt: skip
        await registrations.register(
            next_forum,
            user.id,
            RegistrationIn(answers={"organization": "サンプル団体"}, prefecture=prefecture),
            events.questions_of(next_forum),
        )
        await registrations.register(
            lottery,
            user.id,
            RegistrationIn(answers={"interest": ["関係人口"]}, prefecture=prefecture),
            events.questions_of(lottery),
        )


# Sample coordinators (all fictional, marked サンプル): name, reading, prefecture, organisation, themes.
SAMPLE_COORDINATORS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("青森 花子", "あおもり はなこ", "青森県", "プラットフォームあおもり", ("関係人口", "まちづくり")),
    ("岩手 太郎", "いわて たろう", "岩手県", "みやっこベース", ("移住", "水産")),
    ("宮城 美咲", "みやぎ みさき", "宮城県", "ワカツク", ("インターン", "教育")),
    ("秋田 健", "あきた けん", "秋田県", "ドチャベンジャーズ", ("創業支援", "DX")),
    ("山形 さくら", "やまがた さくら", "山形県", "ヤマガタ未来Lab.", ("関係人口", "観光")),
    ("福島 翔", "ふくしま しょう", "福島県", "小高ワーカーズベース", ("創業支援", "復興")),
    ("八戸 陽介", "はちのへ ようすけ", "青森県", "tsumuqu", ("水産", "事業承継")),
    ("釜石 由佳", "かまいし ゆか", "岩手県", "パソナ東北創生", ("関係人口", "ワーケーション")),
    ("盛岡 大輔", "もりおか だいすけ", "岩手県", "WIZ", ("インターン", "事業承継")),
    ("石巻 美穂", "いしのまき みほ", "宮城県", "ISHINOMAKI2.0", ("まちづくり", "文化・芸術")),
    ("女川 拓也", "おながわ たくや", "宮城県", "アスヘノキボウ", ("創業支援", "移住")),
    ("気仙沼 彩", "けせんぬま あや", "宮城県", "colere(これる)", ("水産", "福祉")),
    ("横手 直樹", "よこて なおき", "秋田県", "あきた総研", ("DX", "地域金融")),
    ("鶴岡 真央", "つるおか まお", "山形県", "YAMAGATA DESIGN", ("農業", "観光")),
    ("酒田 誠", "さかた まこと", "山形県", "work life shift", ("ワーケーション", "DX")),
    ("郡山 葵", "こおりやま あおい", "福島県", "TATAKIAGE Japan", ("教育", "復興")),
    ("相馬 航", "そうま わたる", "福島県", "相馬はらがま朝市クラブ", ("水産", "福祉")),
    ("葛尾 恵", "かつらお めぐみ", "福島県", "葛力創造舎", ("農業", "移住")),
    # Two organisations typed on profiles that the list does not hold yet: pending proposals
    # (CONTRACT §5.4) — the report's council (new), and the figure's OCR spelling of ワカツク (to merge).
    ("東京 亮", "とうきょう りょう", "東京都", "「新しい東北」官民連携推進協議会", ("関係人口", "DX", "創業支援")),
    ("大阪 千尋", "おおさか ちひろ", "大阪府", "ワカック", ("インターン", "教育")),
)


async def load_coordinators(forum_slug: str) -> int:
    """Public sample profiles, a few accepted connections, and the ties around the 2021 forum."""
    ids = []
    for index, (name, kana, prefecture, organization, themes) in enumerate(SAMPLE_COORDINATORS, start=1):
        # The first six are the sample participants (who have a password), the rest sign in by link.
        email = (
            SAMPLE_PARTICIPANTS[index - 1][0]
            if index <= len(SAMPLE_PARTICIPANTS)
            else f"sample.coordinator{index:02d}@example.jp"
        )
        user = await accounts.find_user_by_email(email)
        if user is None:
            user, _created = await accounts.make_participant(email, f"{name}（サンプル）")
        ids.append(user.id)
        await coordinators.save_profile(
            user.id,
            ProfileIn(
                name=f"{name}（サンプル）",
                name_kana=kana,
                prefecture=prefecture,
                organization=organization,
                themes=list(themes),
                bio=f"{prefecture}で活動するサンプルのコーディネーターです。テーマ：{'、'.join(themes)}。",
                can_help_with=f"{themes[0]}に関する相談",
                looking_for=f"{themes[-1]}に取り組む仲間",
                visibility="public",
            ),
        )
    for low, high in ((0, 6), (1, 7), (2, 9), (3, 12), (4, 13), (5, 15), (2, 18), (8, 18), (10, 19), (16, 5)):
        await connections.record_ties(
            [ids[low], ids[high]], kind="connection", source=f"demo:{low}-{high}", at=_jst(2020, 6, 1, "12:00")
        )
    await load_network_growth(forum_slug, ids)
    return len(ids)


# The 2021 forum's breakout rooms (indexes into SAMPLE_COORDINATORS: the first fourteen attended),
# and the relationships that followed it, so that /network's two dates show the network growing.
DEMO_ROOMS = ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10), (11, 12, 13))
DEMO_INTRODUCTIONS = ((0, 4), (1, 11), (3, 8), (6, 10))  # both pressed "stay in touch" after it
DEMO_LATER_CONNECTIONS = ((5, 9), (7, 12), (13, 18), (11, 19), (14, 17))  # spring and summer 2021


async def load_network_growth(forum_slug: str, ids: list[int]) -> None:
    """Room ties at the 2021 forum, introductions within a month of it, connections made later
    (each recorded once: ties are idempotent per source)."""
    forum = await events.event_row(forum_slug)
    for number, room in enumerate(DEMO_ROOMS, start=1):
        await connections.record_ties(
            [ids[i] for i in room],
            kind="room",
            source=f"demo-room:{number}",
            event_id=forum["id"],
            at=_jst(2021, 3, 1, "15:00"),
        )
    for low, high in DEMO_INTRODUCTIONS:
        await connections.record_ties(
            [ids[low], ids[high]],
            kind="introduction",
            source=f"introduction:{forum['id']}",
            event_id=forum["id"],
            at=_jst(2021, 3, 15, "10:00"),
        )
    for month, (low, high) in enumerate(DEMO_LATER_CONNECTIONS, start=4):
        await connections.record_ties(
            [ids[low], ids[high]], kind="connection", source=f"demo:{low}-{high}", at=_jst(2021, month, 10, "12:00")
        )


FOLLOW_UP_BODY = """当日はオンラインでお会いできるのを楽しみにしています。

- 開始10分前から入室できます
- ブレイクアウトでは、テーマの近い方と同じルームになります
- プロフィールを整えておくと、終了後のご紹介に役立ちます: {{ profile_url }}

フォーラムの詳細: {{ event_url }}
"""


async def load_campaigns(organizer_id: int) -> None:
    """A draft follow-up for the next forum, with "people you met", to preview and test-send."""
    forum = await events.event_row("coordinator-forum-next")
    if await campaigns.campaigns_of(forum["id"]):
        return
    await campaigns.create_campaign(
        forum,
        CampaignIn(
            subject="【事前のご案内】{{ event_title }}",
            body=FOLLOW_UP_BODY,
            audience=["confirmed"],
            introductions=True,
        ),
        organizer_id,
    )
    await audit.record(forum["id"], organizer_id, "campaign.create")
    if not await campaigns.campaigns_of(None):
        await campaigns.create_network_campaign(
            NetworkCampaignIn(
                subject="東北の次の集まりへのご招待",
                body=NETWORK_INVITATION_BODY,
                audience=NetworkAudience(attended_since=date(2021, 1, 1), prefectures=list(TOHOKU)),
            ),
            organizer_id,
        )


NETWORK_INVITATION_BODY = """2021年のフォーラムにご参加の皆さま、東北で活動されている皆さまへ。

次回のコーディネーター・フォーラムと、右腕人材育成プログラムの OB 会研究会のご案内です。
県を越えて、これまでに出会った方とまた話せる場です。

- 日程と申込み: NEXT TOHOKU MEETUP のフォーラム一覧をご覧ください
- プロフィールの更新: {{ profile_url }}
"""


# -- the 2021 forum's survey (アンケート) ------------------------------------------------------

SURVEY_2021 = [
    SurveyQuestion(id="satisfaction", label="本日のフォーラムの満足度", kind="scale", required=True),
    SurveyQuestion(
        id="best",
        label="印象に残ったプログラム",
        kind="choice",
        options=["基調講演", "事例紹介", "ブレイクアウト", "全体共有"],
    ),
    SurveyQuestion(id="comment", label="ご感想・今後取り上げてほしいテーマ", kind="text"),
    SurveyQuestion(id="consult", label="今後つながりたい・相談したい参加者", kind="people"),
]
# (attendee index, satisfaction, best, comment, indexes named): 0 and 6, 2 and 9, 4 and 13,
# 5 and 10 name each other (survey ties); the other picks are one-sided.
SURVEY_2021_ANSWERS: tuple[tuple[int, int, str, str, tuple[int, ...]], ...] = (
    (0, 5, "ブレイクアウト", "県を越えて同じ悩みを持つ仲間に出会えました。", (6, 2)),
    (6, 4, "事例紹介", "水産の事業承継の事例をもっと聞きたいです。", (0,)),
    (2, 5, "ブレイクアウト", "インターン受入れの相談先が見つかりました。", (9, 4)),
    (9, 4, "基調講演", "", (2,)),
    (4, 4, "全体共有", "関係人口の取り組みを他県と比べられて参考になりました。", (13,)),
    (13, 3, "事例紹介", "観光と農業をつなぐ事例を次回ぜひ。", (4, 11)),
    (5, 5, "ブレイクアウト", "創業支援の連携先が増えそうです。", (10,)),
    (10, 4, "ブレイクアウト", "", (5, 1)),
    (1, 3, "基調講演", "オンラインでも十分に交流できました。", ()),
    (7, 4, "全体共有", "ワーケーションの受入れについて情報交換したいです。", (12,)),
)


async def load_survey_2021(forum_slug: str) -> None:
    """The 2021 forum's survey with answers from its first fourteen sample coordinators (the
    first six are the sample participants, who can sign in and change theirs)."""
    forum = await events.event_row(forum_slug)
    if await surveys.survey_row(forum["id"]):
        return
    emails = [email for email, _name in SAMPLE_PARTICIPANTS] + [
        f"sample.coordinator{index:02d}@example.jp" for index in range(len(SAMPLE_PARTICIPANTS) + 1, 15)
    ]
    people = [await accounts.find_user_by_email(email) for email in emails]
    async with write_transaction():
        await seats.seat_past_attendees(forum["id"], [person.id for person in people], tickets.new_code)
    await surveys.save_survey(forum, SurveyIn(questions=SURVEY_2021))
    for who, satisfaction, best, comment, named in SURVEY_2021_ANSWERS:
        answers = {"satisfaction": satisfaction, "best": best, "consult": [people[i].id for i in named]}
        if comment:
            answers["comment"] = comment
        await surveys.respond(forum, people[who], ResponseIn(answers=answers))


# The 2021 programme's enrolment. The document says places were limited and applicants chosen
# with the lecturer when too many applied (「定員を上回るご応募を頂いた場合は、講師とも相談…」),
# without giving a number: applications reviewed by the organizers (approval), 20 places, "5 of
# the 7 sessions, the 終講式 included", the questions and the closing date (a week before the
# first session) are demo values. The first four sample participants make up the sample cohort.
MIGITE_QUESTIONS = [
    Question(id="company", label="所属企業・団体名", kind="text", required=True),
    Question(id="position", label="役職", kind="text"),
    Question(
        id="years", label="現在の職務での経験年数", kind="choice", required=True,
        options=["3年未満", "3〜10年", "10年以上"],
    ),
    Question(id="motivation", label="受講の動機と、経営者と取り組みたい課題", kind="text", required=True),
    Question(id="sendai", label="仙台での集合研修（3日間）に参加できる", kind="checkbox"),
]  # fmt: skip
MIGITE_ENROLMENT = EnrolmentRule(
    capacity=20, mode="approval", min_sessions=5, final_required=True, questions=MIGITE_QUESTIONS
)
MIGITE_CLOSES_AT = datetime(2021, 1, 8, 17, 0, tzinfo=TOKYO)
MIGITE_COHORT = tuple(email for email, _name in SAMPLE_PARTICIPANTS[:4])
# The sessions each of the cohort missed: the first three completed; the fourth missed the 終講式.
MIGITE_MISSED = ((2,), (3,), (4,), (5, 7))

# The programme the centre runs with the bureau (the document's 地域イノベーションプロデューサー塾,
# RIPS), its past graduates recorded from the bureau's list as the import takes it (sample people:
# two cohorts), and the graduates' 研究会 across cohorts (the document's OB会ネットワーク).
RIPS = "rips"
RIPS_TITLE = "地域イノベーションプロデューサー塾（RIPS）"
RIPS_SUMMARY = (
    "東北大学地域イノベーション研究センターの「地域イノベーションプロデューサー塾」（Regional Innovation "
    "Producer School）。事業者を対象とした共同学習の塾で、卒塾生を対象とした継続支援・事業連携と、研究会等による"
    "業種や卒塾期を超えた OB会ネットワークが続いています。\n\n"
    "支援者を対象とした「地域イノベーションアドバイザー塾（RIAS）」と対をなします。"
)
# (index into SAMPLE_COORDINATORS past the sample participants, cohort year): RIPS graduates.
RIPS_GRADUATES = ((6, 2019), (8, 2019), (12, 2019), (7, 2020), (13, 2020), (16, 2020))
# Graduates with no account yet: the import makes one and mails them an invitation to claim it.
RIPS_NEW_GRADUATES = (("遠野 光（サンプル）", "sample.graduate01@example.jp", 2019),
                      ("白石 遥（サンプル）", "sample.graduate02@example.jp", 2020))  # fmt: skip
RIPS_OB_FORUM = "rips-ob-kenkyukai"
MIGITE_ANSWERS = (
    {"company": "株式会社サンプル製作所", "position": "経営企画室長", "years": "3〜10年",
     "motivation": "社長の右腕として新規事業の立ち上げを担いたい。", "sendai": True},
    {"company": "サンプル酒造合資会社", "position": "専務", "years": "10年以上",
     "motivation": "事業承継を見据え、経営計画づくりを学びたい。", "sendai": True},
    {"company": "サンプル観光株式会社", "years": "3年未満",
     "motivation": "組織のマネジメントを体系的に学びたい。", "sendai": False},
    {"company": "サンプル水産株式会社", "position": "営業部長", "years": "3〜10年",
     "motivation": "販路開拓とマーケティングを経営の目線で考えたい。", "sendai": True},
)  # fmt: skip


async def load_migite_enrolment() -> None:
    """The 2021 programme takes enrolment, and a sample cohort is enrolled: seated at its sessions
    (held already, so recorded after the fact) and checked in at those they came to, each
    missing a different one. Safe to run again."""
    row = await series.series_row(MIGITE)
    if row["enrol_capacity"] is None or not series.questions_of(row):
        await series.update_series(MIGITE, SeriesPatch(enrolment=MIGITE_ENROLMENT))
    programme = await enrolment.open_series(MIGITE)
    people = [(await accounts.find_user_by_email(email)).id for email in MIGITE_COHORT]
    for person, answers in zip(people, MIGITE_ANSWERS, strict=True):
        applied, _created = await enrolment.enrol(programme, person, EnrolmentIn(answers=answers))
        if applied["status"] == "pending":
            await enrolment.approve(programme, applied["id"])
    if programme["enrol_closes_at"] is None:  # applications closed before the first session
        closed = msgspec.structs.replace(MIGITE_ENROLMENT, closes_at=MIGITE_CLOSES_AT)
        await series.update_series(MIGITE, SeriesPatch(enrolment=closed))
    sessions = await events.list_events(series_slug=MIGITE)
    for session in sessions:
        row = await events.event_row(session.slug)
        async with write_transaction():
            await seats.seat_past_attendees(row["id"], people, tickets.new_code)
        for person, missed in zip(people, MIGITE_MISSED, strict=True):
            if session.slug not in {f"{MIGITE}-{number}" for number in missed}:
                seat = await registrations.my_registration(row["id"], person)
                await registrations.check_in(row, reg_id=seat["id"])
    # The programme is over: those who met the rule (5 sessions, the 終講式 included) completed it.
    await completion.mark_completions(MIGITE)


async def load_rips_alumni() -> None:
    """RIPS with two past cohorts imported as alumni, and its OB会 研究会 for them only. Safe to
    run again (the import skips those already recorded)."""
    await events.ensure_series(RIPS, RIPS_TITLE, RIPS_SUMMARY)
    lines = ["name,email,year"]
    for index, year in RIPS_GRADUATES:
        email = (
            SAMPLE_PARTICIPANTS[index][0]
            if index < len(SAMPLE_PARTICIPANTS)
            else f"sample.coordinator{index + 1:02d}@example.jp"
        )
        lines.append(f"{SAMPLE_COORDINATORS[index][0]}（サンプル）,{email},{year}")
    lines += [f"{name},{email},{year}" for name, email, year in RIPS_NEW_GRADUATES]
    content = ("\r\n".join(lines) + "\r\n").encode("cp932")  # as Excel saves it
    await alumni_import.import_graduates(await series.series_row(RIPS), content, settings.current().base_url)


async def load_organizations() -> None:
    """Every organisation the document names, with its kind and prefecture."""
    for name, legal_form, prefecture in GATEWAY_ORGANIZATIONS:
        await organizations.upsert_organization(
            name=name,
            kind="gateway",
            legal_form=legal_form,
            prefecture=prefecture,
            summary="ゲートウェイ機能を担う主な組織（東北経済産業局 調べ）",
            source=SOURCE,
        )
    for name, kind, prefecture, summary in NAMED_ORGANIZATIONS:
        await organizations.upsert_organization(
            name=name, kind=kind, prefecture=prefecture, summary=summary, source=SOURCE
        )


async def load_organization_admins(organizer) -> None:
    """A sample participant keeps each of two gateway organisations' pages."""
    by_name = {o.name: o.id for o in await organizations.list_organizations()}
    for email, name in ORGANIZATION_ADMINS:
        person = await accounts.find_user_by_email(email)
        await organizations.add_admin(by_name[name], person.id, organizer)


# What sample participants follow (CONTRACT §5.4): 宮城 美咲 a series, an organisation and her
# prefecture; another sample participant a theme. The scheduler's follows job then mails each of
# them the upcoming demo forums that match, once (the dev mailbox shows it).
DEMO_FOLLOWS = (
    (SAMPLE_PARTICIPANTS[2][0], "series", COORDINATOR_FORUM),
    (SAMPLE_PARTICIPANTS[2][0], "organization", "ワカツク"),
    (SAMPLE_PARTICIPANTS[2][0], "prefecture", "宮城県"),
    (SAMPLE_PARTICIPANTS[0][0], "theme", "DX"),
)


async def load_follows() -> None:
    """The sample follows; following again keeps one follow, so this is safe to run again."""
    hosts = {o.name: o.id for o in await organizations.list_organizations()}
    for email, kind, value in DEMO_FOLLOWS:
        person = await accounts.find_user_by_email(email)
        target = {kind: hosts[value] if kind == "organization" else value}
        await follows.follow(person.id, FollowIn(**target))


async def load_cohost(organizer_id: int) -> None:
    """The next forum's co-host, as if they had accepted a mailed invitation, with the lines
    that leaves in the forum's log (safe to run again)."""
    email, slug = DEMO_COHOST
    person = await accounts.find_user_by_email(email)
    forum = await events.event_row(slug)
    if await cohosts.is_cohost(person.id, forum["id"]):
        return
    await audit.record(forum["id"], organizer_id, "cohost.invite")
    await cohosts.add(forum["id"], person.id, organizer_id)
    await audit.record(forum["id"], person.id, "cohost.accept")


# Two cases from the document (CONTRACT §5.5): the internship scheme a gateway organisation ran, with
# its figures, and Kamaishi's open city strategy. (title, summary, body, kind, themes, prefecture,
# organisations, forums where it was told)
DEMO_CASES = (
    (
        "復興・創生インターンシップ：企業の「課題」をインターンプロジェクトに",
        "約500社と約1,000名の若者が参加。企業の課題をインターンのプロジェクトにし、期間中と修了後も伴走する。",
        """## 何をしたか

復興庁「復興・創生インターンシップ」では、ゲートウェイ機能を担うハブ組織が、企業と若者が
課題解決で協働する場をつくりました。

- **参加企業：約500社**
- **参加人数：約1,000名**

## 進め方

1. 企業の「課題」をインターンプロジェクトにする
2. 具体的な成果を目指し、本気で挑戦する（失敗・成功などの挑戦の機会）
3. インターン期間中と修了後に伴走支援する

## 企業にとって

新規事業への挑戦、社内の若手人材のマネジメント力向上、社内の活性化、自社の魅力の可視化。
両者が Win-Win になる関係づくりをハブ組織が支えました。

（出典）一般社団法人ワカツク提供資料
""",
        "external_talent",
        ["インターン", "事業承継", "復興"],
        "宮城県",
        ("ワカツク",),
        (),
    ),
    (
        "釜石オープンシティ戦略：地域の「課題」を関われる「余白」に",
        "顕在化する地域社会の課題を、多様な人材・企業が関わることのできる「余白」として開き、"
        "釜石に暮らす・関わる可能性を最大化するエコシステムをつくる。",
        """## ねらい

地方創生とは、釜石に**暮らす／関わる**可能性を最大化するエコシステムを構築すること。

## 何をしたか

顕在化する地域社会の「課題」を、多様な人材・企業が関わることのできる「余白」として示し、
外の人や企業が入り込める入口をつくりました。

## 横展開のために

- 課題を「余白」として言葉にし、公開する
- 関わり方（副業、プロジェクト、インターン、相談）を選べるようにする
- 関わった人がまた次の人を連れてくる循環をつくる
""",
        "co_creation",
        ["関係人口", "まちづくり", "移住"],
        "岩手県",
        (),
        ("coordinator-forum-2021",),
    ),
)
# Challenges (余白) of a few named organisations: (organisation, poster's e-mail or None for the
# demo organizer, title, body, kind, prefecture, days until it closes).
DEMO_CHALLENGES = (
    (
        "ワカツク",
        "sample.miyagi@example.jp",
        "老舗水産加工会社の新商品づくりインターン",
        "事業承継を控えた水産加工会社で、後継ぎ候補と一緒に新商品を企画する実践型インターンです。"
        "\n\n- 期間：3か月（週2日〜）\n- 場所：宮城県内とオンライン",
        "internship",
        "宮城県",
        45,
    ),
    (
        "ドチャベンジャーズ",
        "sample.akita@example.jp",
        "秋田の起業家と組む週末副業（マーケティング）",
        "秋田で事業を始めた起業家の販路づくりを、週末とオンラインで手伝ってくれる方を募集します。",
        "side_job",
        "秋田県",
        60,
    ),
    (
        "ISHINOMAKI2.0",
        None,
        "石巻のまちなか空き店舗を使うプロジェクト",
        "まちなかの空き店舗を、外の人と一緒に使い方から考えるプロジェクトです。相談だけでも歓迎します。",
        "project",
        "宮城県",
        90,
    ),
)
DEMO_INTEREST = (
    "sample.iwate@example.jp",
    "老舗水産加工会社の新商品づくりインターン",
    "水産業の販路開拓の経験があります。",
)


async def load_knowledge(organizer) -> None:
    """The case library's two cases and the challenge board's challenges, one with an interest
    (safe to run again: a case or a challenge of the same title is left as it is)."""
    by_name = {o.name: o.id for o in await organizations.list_organizations()}
    existing = {c.title for c in await cases.list_cases(limit=1000)}
    for title, summary, body, kind, themes, prefecture, orgs, forums in DEMO_CASES:
        if title in existing:
            continue
        data = CaseIn(
            title=title,
            summary=summary,
            body=body,
            kind=kind,
            themes=list(themes),
            prefecture=prefecture,
            organizations=[by_name[name] for name in orgs],
            events=list(forums),
        )
        await cases.create_case(data, organizer)
    posted = {c.title: c.id for c in await challenges.list_challenges(limit=1000)}
    for name, poster, title, body, kind, prefecture, days in DEMO_CHALLENGES:
        if title in posted:
            continue
        by = await accounts.find_user_by_email(poster) if poster else organizer
        data = ChallengeIn(
            title=title,
            body=body,
            organization=by_name[name],
            kind=kind,
            prefecture=prefecture,
            closes_at=_days_ahead(days, "23:59"),
        )
        posted[title] = (await challenges.post_challenge(data, by)).id
    email, title, message = DEMO_INTEREST
    person = await accounts.find_user_by_email(email)
    if not await challenges.has_said(posted[title], person.id):
        await challenges.say_interested(posted[title], person, InterestIn(message=message))


# A colleague 宮城 美咲 (ワカツク's admin) invited to ワカツク, not yet accepted.
DEMO_COLLEAGUE_INVITATION = ("ワカツク", "sample.colleague@example.jp")


async def load_colleague_invitation() -> None:
    """The pending colleague invitation (mailed once: not again while one is pending)."""
    name, email = DEMO_COLLEAGUE_INVITATION
    organization = next(o for o in await organizations.list_organizations() if o.name == name)
    admin = await accounts.find_user_by_email(ORGANIZATION_ADMINS[0][0])
    if await organization_invitations.pending(organization.id, admin):
        return
    await organization_invitations.invite(organization.id, [email], False, admin, settings.current().base_url)


async def load_demo() -> dict[str, int]:
    """Load (or refresh) the demo data; safe to run again."""
    await load_organizations()
    email, password, name = DEMO_ORGANIZER
    organizer, _created = await accounts.make_organizer(email, password, name)
    await accounts.make_admin(*DEMO_ADMIN)
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
    forums = await load_forums(organizer.id)
    await load_organization_admins(organizer)
    await register_samples()
    await load_migite_enrolment()
    await load_coordinators("coordinator-forum-2021")
    await load_rips_alumni()
    await load_survey_2021("coordinator-forum-2021")
    await load_campaigns(organizer.id)
    await load_follows()
    await load_cohost(organizer.id)
    await load_report_2021(organizer.id)
    await load_knowledge(organizer)
    await load_colleague_invitation()
    return {
        "organizations": len(GATEWAY_ORGANIZATIONS) + len(NAMED_ORGANIZATIONS),
        "participants_created": created,
        "forums_created": forums,
    }


REPORT_2021 = """## 当日の様子

2021年3月1日（月）14:00〜16:00、Microsoft Teams で「東北コーディネーター・フォーラム
〜東北との「関わり」を愛する仲間たちの集い〜」を開催しました。NEXT TOHOKU MEETUP の第一弾として、
東北内外のハブ人材 **100名超** が参加しました。

東北の復興や地域活性化を支えてきたのは、各地域で奮闘してきたコーディネーターであり、
関係人口が注目されるこれからの地方創生でも大きな役割を果たします。

## これから

- 出会い・繋がり・価値共創の場として、NEXT TOHOKU MEETUP を続けていきます
- 「価値共創のポイント」「外部人材活用のポイント」を整理・発信していきます（ルールづくり）

当日の資料は下に掲載しています。
"""


async def load_report_2021(organizer_id: int) -> None:
    """The 2021 forum's published report (開催レポート) with its slides as a small PDF, stored
    through the same check and storage as any upload."""
    forum = await events.event_row("coordinator-forum-2021")
    if await reports.report_row(forum["id"]):
        return
    organizer = await accounts.get_user(organizer_id)
    await reports.save_report(forum, organizer, ReportIn(body=REPORT_2021, published=True))
    slides = one_page_pdf(
        [
            "NEXT TOHOKU MEETUP",
            "Tohoku Coordinator Forum",
            "2021-03-01 14:00-16:00 (Microsoft Teams)",
            "100+ participants",
        ]
    )
    path = await asyncio.to_thread(_demo_file, slides)
    received = Received(
        fields={"title": "東北コーディネーター・フォーラム 資料", "visibility": "public"},
        path=path,
        filename="coordinator-forum-2021.pdf",
    )
    try:
        await reports.add_material(forum, organizer, received, storage.current())
    finally:
        await asyncio.to_thread(receive.discard, received)


def _demo_file(content: bytes) -> Path:
    work = Path(settings.current().var_dir) / "incoming"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=work, prefix=".demo-", delete=False) as handle:
        handle.write(content)
    return Path(handle.name)


async def database_is_empty() -> bool:
    return await accounts.count_accounts() == 0
