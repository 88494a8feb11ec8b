"""English names of GB/T 2260 divisions: the Chinese name's stem in pinyin (pypinyin) and its
administrative suffix in English, as divisions are usually named in English: 南宁市 →
``Nanning City``, 兴宁区 → ``Xingning District``, 广西壮族自治区 → ``Guangxi Zhuang
Autonomous Region``, 恭城瑶族自治县 → ``Gongcheng Yao Autonomous County``.

Pinyin is what English-speaking readers of Chinese place names expect; where pypinyin reads
a polyphonic character wrongly the name is still recognisable, and the Chinese name is
always shown next to it on zh-CN pages.
"""

#: Longest first: 自治区 must win over 区.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("特别行政区", "Special Administrative Region"),
    ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("林区", "Forestry District"),
    ("新区", "New Area"),
    ("地区", "Prefecture"),
    ("省", "Province"),
    ("市", "City"),
    ("区", "District"),
    ("县", "County"),
    ("旗", "Banner"),
    ("盟", "League"),
)

#: Peoples named in autonomous divisions' names (…壮族自治区), longest names first.
PEOPLES = sorted(
    [
        "维吾尔",
        "哈萨克",
        "柯尔克孜",
        "乌孜别克",
        "塔吉克",
        "塔塔尔",
        "俄罗斯",
        "鄂温克",
        "鄂伦春",
        "达斡尔",
        "蒙古",
        "朝鲜",
        "土家",
        "布依",
        "傈僳",
        "拉祜",
        "纳西",
        "景颇",
        "仫佬",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "德昂",
        "保安",
        "裕固",
        "独龙",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
        "哈尼",
        "东乡",
        "撒拉",
        "布朗",
        "壮",
        "苗",
        "瑶",
        "侗",
        "回",
        "藏",
        "彝",
        "满",
        "傣",
        "黎",
        "佤",
        "畲",
        "水",
        "羌",
        "土",
        "怒",
        "京",
        "白",
        "各",
    ],
    key=len,
    reverse=True,
)


def _pinyin(text: str) -> str:
    # imported when a name is made (set-up, a division entered by hand): pypinyin's tables
    # take seconds to load, which central's start and every command should not pay
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).capitalize()


def english_name(name: str) -> str:
    """``name`` (Chinese) in English: pinyin stem, peoples, English suffix."""
    name = name.strip()
    suffix = ""
    for chinese, english in SUFFIXES:
        if name.endswith(chinese) and len(name) > len(chinese):
            name, suffix = name[: -len(chinese)], english
            break
    peoples: list[str] = []
    if suffix.startswith("Autonomous"):
        while name.endswith("族"):
            people = next((p for p in PEOPLES if name[:-1].endswith(p)), None)
            if people is None or len(name) - 1 - len(people) < 1:
                break
            peoples.insert(0, _pinyin(people))
            name = name[: -1 - len(people)]
    words = [_pinyin(name), *peoples, suffix]
    return " ".join(w for w in words if w)
