"""Prefectures as people in Japan write them (the six Tohoku prefectures first), and their
names on English pages."""

TOHOKU = ("青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県")
OTHERS = (
    "北海道", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県",
    "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県",
    "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip
OVERSEAS = "海外"
PREFECTURES = (*TOHOKU, *OTHERS, OVERSEAS)

# How English pages name them, in the order above; stored values stay as Japanese people write them.
_ENGLISH_NAMES = (
    "Aomori", "Iwate", "Miyagi", "Akita", "Yamagata", "Fukushima",
    "Hokkaido", "Ibaraki", "Tochigi", "Gunma", "Saitama", "Chiba", "Tokyo", "Kanagawa",
    "Niigata", "Toyama", "Ishikawa", "Fukui", "Yamanashi", "Nagano", "Gifu", "Shizuoka", "Aichi",
    "Mie", "Shiga", "Kyoto", "Osaka", "Hyogo", "Nara", "Wakayama", "Tottori", "Shimane",
    "Okayama", "Hiroshima", "Yamaguchi", "Tokushima", "Kagawa", "Ehime", "Kochi", "Fukuoka", "Saga",
    "Nagasaki", "Kumamoto", "Oita", "Miyazaki", "Kagoshima", "Okinawa",
    "Overseas",
)  # fmt: skip
ENGLISH = dict(zip(PREFECTURES, _ENGLISH_NAMES, strict=True))


def prefecture_name(prefecture: str | None, locale: str) -> str:
    """A prefecture as a page in `locale` shows it: "Miyagi" in English, 宮城県 in Japanese;
    a value not on the list is shown as stored."""
    if not prefecture:
        return ""
    return ENGLISH.get(prefecture, prefecture) if locale == "en" else prefecture
