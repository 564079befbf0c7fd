"""Masked forms of identifying values (docs/privacy.md): the family name kept, the middle of numbers starred."""

# Two-character family names (复姓) kept whole when a name is masked.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "司空",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "澹台",
        "百里",
        "呼延",
        "南宫",
        "独孤",
        "西门",
        "万俟",
        "闻人",
        "赫连",
        "钟离",
        "宗政",
        "濮阳",
        "太叔",
        "申屠",
        "公羊",
        "仲孙",
        "单于",
        "拓跋",
        "公冶",
        "羊舌",
        "微生",
        "梁丘",
        "左丘",
        "东郭",
        "第五",
        "谷梁",
        "鲜于",
        "闾丘",
        "亓官",
        "司寇",
        "巫马",
        "乐正",
        "壤驷",
        "子车",
        "漆雕",
        "段干",
    ]
)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳**; a lone character is starred entirely."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]
    return surname + "*" * (len(name) - len(surname))


def mask_id_number(number: str) -> str:
    """Mainland numbers keep the first 6 and last 4 (330381********1231); others keep 2 and 2."""
    keep_start, keep_end = (6, 4) if len(number) == 18 else (2, 2)
    if len(number) <= keep_start + keep_end:
        return "*" * len(number)
    return number[:keep_start] + "*" * (len(number) - keep_start - keep_end) + number[-keep_end:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; other lengths keep their last 4 only."""
    digits = phone.strip()
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 4, 0) + digits[-4:]
