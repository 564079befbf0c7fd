"""Every text the API shows a person, in Chinese and English, and the choice between them (``Accept-Language``).

The catalogue is keyed by the English text as the code writes it: a raise site stays readable
(``NotFound("No such minor.")``), and a message with values is a ``Text`` whose template names them
(``Text("This needs the scope {scope}.", scope=...)``), so the values are put into the Chinese template too.
``tests/test_messages.py`` reads every raise site of ``backend/`` and fails on a message missing here or one
formatted before it gets here (an f-string), so no message lands untranslated.

Only the texts are localised: a problem's ``type``, ``status`` and each field error's ``loc`` and ``type`` are
the codes machine clients act on and never change with the language. Chinese is the default; English only
for a client that asks for it.
"""

import re
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import ClassVar, Literal, Protocol

Locale = Literal["zh-CN", "en"]
DEFAULT_LOCALE: Locale = "zh-CN"


class Localisable(Protocol):
    def render(self, locale: Locale) -> str: ...


class Text:
    """A catalogue message with its values, rendered in the reader's language only when the answer is written.

    A value that is itself a ``Text`` or ``Listed`` is rendered in the same language, a labelled code (a
    ``LabelledEnum`` member) as its Chinese label in Chinese and as its code in English; anything else as
    ``str()``."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params = params

    def render(self, locale: Locale) -> str:
        template = translate_template(self.template, locale)
        if not self.params:
            return template
        values = {name: render_value(value, locale) for name, value in self.params.items()}
        return template.format_map(values)

    def __str__(self) -> str:
        return self.render("en")

    def __repr__(self) -> str:
        return f"Text({self.template!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (other.template, other.params) == (self.template, self.params)

    def __hash__(self) -> int:
        return hash(self.template)


class Joined:
    """Several messages in one line (a 422's summary of its field errors)."""

    __slots__ = ("parts",)
    separators: ClassVar[Mapping[str, str]] = {"zh-CN": "；", "en": "; "}

    def __init__(self, parts: Iterable["str | Localisable"]) -> None:
        self.parts = list(parts)

    def render(self, locale: Locale) -> str:
        return self.separators[locale].join(
            translate_template(part, locale) if isinstance(part, str) else part.render(locale)
            for part in self.parts
        )

    def __str__(self) -> str:
        return self.render("en")


class Listed(Joined):
    """Values named in a message (``school, township``): labels in Chinese, codes in English."""

    separators: ClassVar[Mapping[str, str]] = {"zh-CN": "、", "en": ", "}

    def __init__(self, values: Iterable[object]) -> None:
        self.parts = list(values)

    def render(self, locale: Locale) -> str:
        return self.separators[locale].join(render_value(value, locale) for value in self.parts)


class InvalidValue(ValueError):
    """A validator's refusal: pydantic and logs show ``str()`` (English); the error handler renders ``text``
    in the reader's language. A message with values is a ``Text``."""

    def __init__(self, text: "str | Text") -> None:
        super().__init__(str(text))
        self.text = text


def render_value(value: object, locale: Locale) -> str:
    if isinstance(value, Enum):
        # English keeps the code, as the messages always showed it; Chinese shows the label.
        label = getattr(value, "zh", "") if locale == "zh-CN" else ""
        return label or str(value.value)
    render = getattr(value, "render", None)
    if callable(render):
        return str(render(locale))
    return str(value)


def translate_template(template: str, locale: Locale) -> str:
    if locale == "en":
        return template
    return CATALOGUE.get(template, template)


def localise(message: "str | Localisable | None", locale: Locale) -> str | None:
    """A message in ``locale``: a ``Text`` or ``Joined`` rendered, a plain string looked up as it is."""
    if message is None:
        return None
    if isinstance(message, str):
        return translate_template(message, locale)
    return message.render(locale)


# --- Accept-Language ----------------------------------------------------------------------------------------
_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+)\s*)?$")


def _locale_of(tag: str) -> Locale | None:
    primary = tag.lower().split("-")[0]
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def negotiate(accept_language: str | None) -> Locale:
    """The language of the answer (RFC 9110 §12.5.4): the supported language the client weighs highest, ties
    going to the one it named first; Chinese when the header is absent, unreadable or names neither."""
    if not accept_language:
        return DEFAULT_LOCALE
    best: tuple[float, int, Locale] | None = None
    for position, item in enumerate(accept_language.split(",")):
        match = _RANGE.match(item)
        if not match:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        if not 0 < quality <= 1:
            continue
        tag = match.group(1)
        locale = DEFAULT_LOCALE if tag == "*" else _locale_of(tag)
        if locale is None:
            continue
        if best is None or quality > best[0]:
            best = (quality, position, locale)
    return best[2] if best else DEFAULT_LOCALE


# --- pydantic's own field errors ------------------------------------------------------------------------------
# English answers keep pydantic's messages; Chinese ones are written here per error type, with its ctx values.
PYDANTIC_ZH: Mapping[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不接受此字段",
    "string_type": "应为文字",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "string_unicode": "应为有效的 Unicode 文字",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "finite_number": "应为有限的数",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "int_parsing_size": "数值超出范围",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "最多 {max_digits} 位数字",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为有效的 UUID",
    "uuid_version": "UUID 版本应为 {expected_version}",
    "date_type": "应为日期",
    "date_parsing": "应为 ISO 8601 日期，例如 2026-11-20",
    "date_from_datetime_parsing": "应为 ISO 8601 日期，例如 2026-11-20",
    "date_from_datetime_inexact": "应为日期，不能带时刻",
    "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "应为带时区的 ISO 8601 日期时间，例如 2026-11-20T21:30:00+08:00",
    "datetime_from_date_parsing": "应为带时区的 ISO 8601 日期时间，例如 2026-11-20T21:30:00+08:00",
    "datetime_object_invalid": "不是有效的日期时间",
    "datetime_past": "应为过去的时间",
    "datetime_future": "应为将来的时间",
    "timezone_aware": "须带时区，例如 +08:00",
    "timezone_naive": "不能带时区",
    "time_type": "应为时刻",
    "time_parsing": "应为时刻，例如 21:30",
    "time_delta_type": "应为时长",
    "time_delta_parsing": "应为时长",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "frozen_set_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dataclass_type": "应为对象",
    "is_instance_of": "类型不正确",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文字",
    "bytes_type": "应为文件或字节",
    "bytes_too_short": "至少 {min_length} 字节",
    "bytes_too_long": "最多 {max_length} 字节",
    "url_type": "应为网址",
    "url_parsing": "不是有效的网址",
    "url_scheme": "网址协议应为 {expected_schemes}",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "none_required": "应为空",
    "union_tag_invalid": "类型标记应为 {expected_tags}",
    "union_tag_not_found": "缺少类型标记 {discriminator}",
    "no_such_attribute": "没有此字段",
    "frozen_field": "此字段不能修改",
    "frozen_instance": "不能修改",
    "missing_argument": "必填",
    "unexpected_keyword_argument": "不接受此字段",
    "value_not_hashable": "取值无效",
    "complex_type": "应为复数",
    "complex_str_parsing": "应为复数",
    "ip_v4_address": "应为 IPv4 地址",
    "ip_v6_address": "应为 IPv6 地址",
    "ip_any_address": "应为 IP 地址",
    "value_error.email": "应为有效的电子邮件地址",
}


def pydantic_message(error_type: str, english: str, ctx: Mapping[str, object], locale: Locale) -> str:
    if locale == "en":
        return english
    if english in CATALOGUE:
        # A refusal of our own validators (ValueError, PydanticCustomError), looked up as it is.
        return CATALOGUE[english]
    template = PYDANTIC_ZH.get(error_type)
    if template is None:
        return PYDANTIC_ZH_FALLBACK
    values = {name: _ctx_value(value) for name, value in ctx.items()}
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError):
        return PYDANTIC_ZH_FALLBACK


def _ctx_value(value: object) -> str:
    if isinstance(value, str) and value.startswith("'"):
        # pydantic's choices ("'a', 'b' or 'c'") listed the Chinese way.
        return value.replace(", ", "、").replace(" or ", "、")
    return str(value)


PYDANTIC_ZH_FALLBACK = "取值无效"

# --- the catalogue: English → Chinese --------------------------------------------------------------------------
# Each English template is the key its raise site writes; a value named in braces is filled into both.
CATALOGUE: dict[str, str] = {
    # Problem titles (errors.py, storage.py, the OAuth errors, the login throttle)
    "Bad request": "请求有误",
    "Authentication required": "请先登录",
    "Not allowed": "无权操作",
    "Password change required": "请先修改密码",
    "Not found": "记录不存在",
    "Method not allowed": "不支持此操作方式",
    "Not acceptable": "无法提供所要求的格式",
    "Conflict": "与现有数据冲突",
    "The resource has changed": "记录已被他人修改",
    "The resource has changed (If-Match is stale)": "记录已被他人修改（If-Match 已过期）",
    "Request body too large": "提交的内容过大",
    "Unsupported media type": "不支持的内容类型",
    "Invalid request": "提交的信息有误",
    "Too many requests": "操作过于频繁",
    "Internal error": "服务器内部错误",
    "Service unavailable": "服务暂时不可用",
    "Error": "出错",
    "The file store is full": "文件存储空间已满",
    "The file store is unavailable": "文件存储暂时不可用",
    "Invalid token request": "令牌请求有误",
    "Unsupported grant type": "不支持的授权方式",
    "Login failed": "登录失败",
    "Client authentication failed": "接口客户端认证失败",
    "Scope not granted": "未授予所请求的权限",
    "Too many failed logins": "登录失败次数过多",
    "Idempotency key reused with another request": "幂等键已用于另一请求",
    # Rendering and the request contract (errors.py, http.py, etag.py, pagination.py, idempotency.py)
    "{path}: {msg}": "{path}：{msg}",
    "An unexpected error occurred (request {request_id}).": "服务器出错，已记录，请稍后重试（请求编号 {request_id}）。",
    "The request body is larger than {limit} bytes.": "提交的内容超过 {limit} 字节的上限。",
    "The change conflicts with data stored meanwhile; retry.": "修改与他人刚保存的数据冲突，请重试。",
    "The database is unreachable; try again shortly.": "服务暂时不可用（数据库无法连接），请稍后重试。",
    "This resource answers {methods}.": "此地址只支持 {methods}。",
    "Method Not Allowed": "不支持此操作方式",
    "the body cannot be read as its media type": "无法按所声明的内容类型读取提交的内容",
    "Send the body as application/json.": "请以 application/json 格式提交。",
    "Send the body as application/x-www-form-urlencoded.": "请以 application/x-www-form-urlencoded 表单格式提交。",
    "Unknown query parameter(s): {names}.": "不认识的查询参数：{names}。",
    "unknown query parameter": "不认识的查询参数",
    "contains a character that cannot be stored (U+{code_point})": "含有无法保存的字符（U+{code_point}）",
    "must be an ISO 8601 date and time with its offset, e.g. 2026-11-20T21:30:00+08:00": (
        "应为带时区的 ISO 8601 日期时间，例如 2026-11-20T21:30:00+08:00"
    ),
    "must be an ISO 8601 date, e.g. 2026-11-20": "应为 ISO 8601 日期，例如 2026-11-20",
    "not a valid datetime": "不是有效的日期时间",
    "not a valid date": "不是有效的日期",
    "must lie in the years {first}–{last}": "年份应在 {first}–{last} 之间",
    'must be an ETag such as "3"': '应为 ETag，例如 "3"',
    "The resource is now at version {version}; reload it and apply the change again.": (
        "记录已更新到第 {version} 版，请重新加载后再修改。"
    ),
    "unknown sort field {name!r}; use {allowed}": "不能按 {name!r} 排序，可用：{allowed}",
    "required for machine clients": "接口客户端必须提供",
    "This Idempotency-Key was used for a different request; use a new key for a new request.": (
        "此 Idempotency-Key 已用于另一个不同的请求；新的请求请使用新的键。"
    ),
    "No such resource.": "没有这个地址。",
    "No such file in this build of the web app.": "当前版本的网页中没有这个文件。",
    # Signing in, tokens and scopes (auth/)
    "A bearer token is required.": "请先登录（需要访问令牌）。",
    "The access token is invalid or has expired.": "登录已失效或已过期，请重新登录。",
    "The client is disabled.": "该接口客户端已停用。",
    "The access token has been revoked.": "访问令牌已被撤销，请重新登录。",
    "Change the one-time password before using Qinghu.": "请先修改一次性密码，再使用青湖系统。",
    "The session has ended; log in again.": "登录已结束，请重新登录。",
    "The account is disabled.": "账号已停用，请联系管理员。",
    "This needs the scope {scope}.": "您没有执行此操作的权限（需要 {scope}）。",
    "This needs one of the scopes {scopes}.": "您没有执行此操作的权限（需要以下之一：{scopes}）。",
    "Unsupported grant_type {grant_type!r}.": "不支持的授权方式 {grant_type!r}。",
    "Field required": "必填",
    "Machine clients have no password.": "接口客户端没有密码。",
    "Malformed Basic credentials.": "Basic 认证信息格式不正确。",
    "username and password are required.": "请填写用户名和密码。",
    "refresh_token is required.": "缺少 refresh_token。",
    "client_id and client_secret are required.": "缺少 client_id 和 client_secret。",
    "Wrong username or password.": "用户名或密码错误。",
    "Unknown client or wrong secret.": "接口客户端不存在或密钥错误。",
    "A machine client's token is revoked by that client: send its client_id and client_secret "
    "(or HTTP Basic) too.": "接口客户端的令牌须由该客户端撤销：请同时提供其 client_id 和 client_secret（或 HTTP Basic）。",
    "The token was not issued to this client.": "该令牌不是签发给此客户端的。",
    "Scopes not granted to this client: {scopes}.": "未授予此客户端的权限：{scopes}。",
    "The refresh token cannot be used: {reason}.": "无法使用刷新令牌：{reason}。",
    "unknown refresh token": "刷新令牌不存在",
    "the session has ended": "登录已结束",
    "the refresh token was already used": "刷新令牌已被使用过",
    "the refresh token has expired": "刷新令牌已过期",
    # Passwords and ID numbers (security/passwords.py, identity.py)
    "must be at least {length} characters long": "至少 {length} 个字符",
    "must be at most 128 characters long": "最多 128 个字符",
    "must not contain the username or name": "不能包含用户名或姓名",
    "is too common or easy to guess": "太常见或太容易被猜到",
    "does not match your password": "与您的当前密码不符",
    "must differ from the current password": "不能与当前密码相同",
    "15-digit first-generation numbers are not accepted; use the 18-character number": (
        "不接受 15 位一代身份证号码，请填写 18 位号码"
    ),
    "must be 17 digits followed by a digit or X": "应为 17 位数字加 1 位数字或 X",
    "the birth date in the number is impossible": "号码中的出生日期不可能成立",
    "the birth date in the number does not exist": "号码中的出生日期不存在",
    "check digit does not match": "校验位不符，请核对号码",
    # Units, people, machine clients
    "No such unit.": "单位不存在。",
    "Only leads, auditors and the education bureau read the rates.": "只有负责人、督查和教育局可以查看工作指标。",
    "must not be before period_from": "不能早于开始日期",
    "must not be after today": "不能晚于今天",
    "a period covers at most 366 days": "统计期间最长366天",
    "figures of a month are given once it has ended": "仅提供已结束的整月数据",
    "Your unit is not available.": "您所在的单位不可用。",
    "no such unit": "单位不存在",
    "the unit is deactivated": "该单位已停用",
    "the parent unit is deactivated": "上级单位已停用",
    "a unit cannot be moved to the top": "不能把单位移到最上层",
    "You cannot move your own unit.": "不能移动自己所在的单位。",
    "a unit cannot be moved under itself or its own descendant": "不能把单位移到它自己或其下级之下",
    "a {kind} must sit under a unit of kind {allowed}": "{kind}只能设在以下类型的单位之下：{allowed}",
    "A unit named {name!r} already exists under the same parent.": "同一上级单位下已有名为 {name!r} 的单位。",
    "You cannot deactivate your own unit.": "不能停用自己所在的单位。",
    "Deactivate or move the units under it first.": "请先停用或移走其下级单位。",
    "Its parent unit is deactivated; reactivate that first.": "其上级单位已停用，请先启用上级单位。",
    "must be a 6, 9 or 12-digit administrative division code": "应为 6、9 或 12 位行政区划代码",
    "No such person.": "人员不存在。",
    "You cannot deactivate yourself or change your own role.": "不能停用自己或修改自己的角色。",
    "The username {username!r} is taken.": "用户名 {username!r} 已被占用。",
    "No such client.": "接口客户端不存在。",
    "The client id {client_id!r} is taken.": "客户端编号 {client_id!r} 已被占用。",
    "at least one scope is required": "至少选择一项权限",
    "cannot be granted to a machine client: {scopes}": "不能授予接口客户端：{scopes}",
    # Minors (minors/)
    "No such minor.": "记录不存在或不在您的辖区内。",
    "must be an 11-digit mobile number or a landline such as 0577-65812345": (
        "应为 11 位手机号码或固定电话，例如 0577-65812345"
    ),
    "id_number: must be 5–30 letters and digits": "id_number：应为 5–30 位字母和数字",
    "gender and birth_date are required when the document is not a mainland ID": (
        "证件不是居民身份证时，须填写性别和出生日期"
    ),
    "Searching by name needs a role that may see identities.": "您的角色不能按姓名查询。",
    "Filtering by {name} needs access to drug-use facts.": "按 {name} 筛选需要有权查看涉毒信息。",
    "name the station that will manage the minor": "请选择管理该未成年人的工作站",
    "This person is managed by another unit; a transfer can be requested.": "此人由其他单位管理，可申请移交。",
    "Only the station's social workers and leads edit a registered minor.": (
        "只有工作站的社工和负责人可以修改已登记的信息。"
    ),
    "must be an active township, community or county office": "须为启用中的乡镇（街道）、社区或县级办公室",
    "no such school": "学校不存在",
    "does not agree with the ID number": "与证件号码不符",
    "the person is 18 or older, not a minor": "此人已满18周岁，不属于未成年人",
    "Only a lead changes the status or seals a record.": "只有负责人可以变更状态或封存档案。",
    "The record is sealed; its drug-use facts are changed only by a county-level lead.": (
        "档案已封存，其涉毒信息只能由县级负责人修改。"
    ),
    "No minor with this number in your scope.": "您的辖区内没有该证件号码的未成年人。",
    "Your role may not reveal identities.": "您的角色无权查看完整信息。",
    "This person is already registered.": "此人已登记。",
    # Registering without an ID number (待核实), adding it later, merging (issue 17).
    "required; to register without it, set provisional to true": "必填；身份证号未知时请按待核实登记（provisional 为 true）",
    "only a provisional registration may give an approximate birth date": "仅待核实登记可填写大致出生日期",
    "leave it out of a provisional registration, or set provisional to false": (
        "待核实登记不填身份证号；已知身份证号请按正常登记"
    ),
    "required for a provisional registration": "待核实登记必填",
    "is in the future": "不能晚于今天",
    "This record was merged into another and is read-only.": "该记录已合并到另一条记录，只读。",
    "This record already has its ID number.": "该记录已有身份证号。",
    "the gender it gives differs from the record's; check the number or correct the record first": (
        "身份证号所示性别与记录不符，请核对号码或先更正记录"
    ),
    "the birth date it gives is outside the record's approximate birth date; check the number": (
        "身份证号所示出生日期不在记录的大致出生日期范围内，请核对号码"
    ),
    "This person is already registered; merge this record into it.": "此人已登记，请将本记录合并到已有记录。",
    "must be another record that is not merged": "须为另一条未合并的记录",
    "the two records differ in gender": "两条记录性别不同",
    "the two records' birth dates do not agree": "两条记录的出生日期不一致",
    "records are merged through the merge action, not by status": "合并记录请使用合并操作，不能直接修改状态",
    "no such minor in your scope": "您的范围内没有该未成年人",
    "A transfer of this record is under way; finish it before merging.": "该记录有进行中的移交，完成后再合并。",
    "{what}; it resets at midnight.": "{what}；零点后重新计数。",
    "{limit} registrations today matched minors managed by other units, the daily limit; registering is paused": (
        "今天已有 {limit} 次登记与其他单位管理的未成年人重合，达到每日上限，暂停登记"
    ),
    "unknown field: {fields}": "不认识的字段：{fields}",
    "not revealable for you: {fields}": "您无权查看：{fields}",
    "You have revealed {limit} records today, the daily limit": "您今天已查看 {limit} 条完整信息，达到每日上限",
    # Care files (care_files/)
    "No such care file.": "帮教档案不存在或不在您的辖区内。",
    "role: the lead social worker is named by lead_worker_id": "role：主责社工通过 lead_worker_id 指定",
    "give either user_id (a Qinghu user) or name (someone outside)": (
        "请填写 user_id（系统内人员）或 name（系统外人员），二者选一"
    ),
    "Only a lead acknowledges an alert.": "只有负责人可以确认提醒。",
    "Only the station's social workers and leads ask to close a file.": "只有工作站的社工和负责人可以申请结案。",
    "Only a lead of the managing unit or above decides on a closure.": "只有管理单位或其上级单位的负责人可以审批结案。",
    "The file has no alert.": "该档案没有提醒。",
    "say why when the reason is other": "原因选择“其他”时请写明",
    "Closure has already been requested for this file.": "该档案已申请结案。",
    "The file is already closed.": "该档案已结案。",
    "A transfer of this minor is pending; it must be accepted, rejected or cancelled before the file closes.": (
        "该未成年人有待处理的移交，须先接收、拒绝或撤回，档案才能结案。"
    ),
    "No closure has been requested for this file.": "该档案没有结案申请。",
    "Only a lead confirms who is responsible for a file.": "只有负责人可以确认档案的责任人。",
    "Only the station's social workers and leads keep care files.": "只有工作站的社工和负责人可以建立和维护帮教档案。",
    "must be an active social worker or lead of the managing unit": "须为管理单位在职的社工或负责人",
    "The file is closed.": "该档案已结案。",
    "The file names nobody responsible yet; name a lead social worker first.": "该档案尚未指定责任人，请先指定主责社工。",
    "This minor already has an open care file.": "该未成年人已有未结案的帮教档案。",
    "The file is closed; reopen it before changing the plan.": "该档案已结案，请先重新开启再修改帮教计划。",
    "give the reason for replacing the lead worker": "请填写更换主责社工的原因",
    "no such unit in your scope": "您的辖区内没有这个单位",
    "must be an active user of the managing unit or a unit below it": "须为管理单位或其下属单位的在用账号",
    "Only a lead sets the follow-up intervals.": "只有负责人可以设置回访周期。",
    "Only a lead names the on-duty social worker.": "只有负责人可以指定值班社工。",
    "must be an active social worker or lead of the unit": "须为本单位在职的社工或负责人",
    "A team member records only the entries of their role on the team (a police officer: urine tests and home "
    "visits; a teacher: school contacts, talks and education).": (
        "帮教小组成员只能记录其小组角色的帮教情况（民警：尿检和家访；教师：学校联系、谈话和教育）。"
    ),
    "The file is closed; nothing more is recorded on it.": "该档案已结案，不能再记录。",
    "The file is delegated: the unit that manages it records and changes it.": (
        "该档案处于委托管理期间，由受托管理单位记录和修改。"
    ),
    "Machine clients receive no digest.": "接口客户端不接收每日提醒摘要。",
    # School-kept files (学校一人一档)
    "Only a school's staff keep its school files.": "只有学校教职工才能建立本校的一人一档。",
    "not a pupil of your school": "不是本校学生",
    "a school keeps a file for a pupil recorded as dropped out, out of school or 双差生 only": (
        "学校只为登记为辍学、失学或双差生的学生建立一人一档"
    ),
    "must be an active member of your school's staff": "须为本校在职教职工",
    "This pupil already has an open school file.": "该学生已有未结案的学校一人一档。",
    "The file is kept by the pupil's school: its staff record and change it.": (
        "该档案为学校一人一档，由学校教职工记录和修改。"
    ),
    "A school file records talks, home visits, school and family contacts, education and notes.": (
        "学校一人一档只能记录谈心谈话、家访、学校联系、家庭联系、教育和备注。"
    ),
    "No such notification.": "没有这条通知。",
    "a delegation is to a unit of the county": "委托管理只能委托给本县的单位",
    "a delegation needs its last day": "委托管理须填写委托截止日期",
    "only for a delegation": "仅委托管理需要填写",
    "must be after today and within a year": "须晚于今天且不超过一年",
    "Only the delegating unit's social workers and leads renew a delegation.": "只有委托单位的社工和负责人可以续期。",
    "Only a delegation under way is renewed.": "只有正在进行的委托管理可以续期。",
    "Only the social workers and leads of either unit end a delegation.": "只有委托或受托单位的社工和负责人可以结束委托。",
    "Only a delegation is ended; a hand-over is final.": "只有委托管理可以结束；移交一经接收即为最终。",
    "must not be in the future": "不能晚于现在",
    "must not be before the minor's birth": "不能早于该未成年人的出生日期",
    "must be after the day the entry happened": "须晚于记录发生的日期",
    "A team member corrects only the entries they recorded.": "帮教小组成员只能更正自己记录的内容。",
    "required for a urine test": "尿检时必填",
    "only for a urine test": "仅尿检时填写",
    "required for a referral": "转介时必填",
    "only for a referral": "仅转介时填写",
    "no such entry on this file": "该档案中没有这条记录",
    "This entry has already been corrected; correct the latest version.": "这条记录已被更正过，请更正最新的版本。",
    # Transfers (transfers/)
    "No such transfer.": "移交记录不存在或不在您的辖区内。",
    "A transfer of this minor is already under way.": "该未成年人已有正在进行的移交。",
    "Only the station's social workers and leads hand minors over.": "只有工作站的社工和负责人可以移交未成年人。",
    "Only the receiving unit's social workers and leads answer a transfer.": "只有接收单位的社工和负责人可以处理移交。",
    "Only the sending unit's social workers and leads record the delivery.": "只有移出单位的社工和负责人可以登记送达。",
    "name the receiving unit, or the place outside the county (outside_place_name)": (
        "请选择接收单位，或填写县外的去向（outside_place_name）"
    ),
    "only for a transfer outside the county": "仅移交县外时填写",
    "must be an active township, community or county office of the county": (
        "须为本县启用中的乡镇（街道）、社区或县级办公室"
    ),
    "the minor is already managed there": "该未成年人已由该单位管理",
    "The transfer is no longer waiting for an answer: it was answered or cancelled meanwhile.": (
        "该移交已不在待处理状态：其间已被处理或撤回。"
    ),
    "Only the person who asked for the transfer cancels it (the sending unit's lead, for one that another "
    "system started).": "只有发起移交的人可以撤回（由其他系统发起的，由移出单位的负责人撤回）。",
    "Only a transfer outside the county waits for its notice to be delivered.": "只有移交县外的才需要登记书面通知送达。",
    # Seizure notices (seizures/, workflows/intake.py)
    "the person was not born on seized_at": "查获时此人尚未出生",
    "the person was 18 or older on seized_at, not a minor": "查获时此人已满18周岁，不属于未成年人",
    "No such seizure notice.": "查获通知不存在或不在您的辖区内。",
    "This notice has already been acknowledged.": "该通知已签收。",
    "Seizure notices are pushed by police stations.": "查获通知由派出所报送。",
    "Your station already sent a different notice with this notice_no.": "本所已用此 notice_no 报送过另一份不同的通知。",
    # Assessments (assessments/, workflows/assessment_runs.py)
    "No such assessment scheme.": "考核方案不存在或不在您的辖区内。",
    "No such assessment run.": "考核结果不存在或不在您的辖区内。",
    "No such unit or indicator in this assessment run.": "本次考核中没有该单位或该指标。",
    "Only the issuing unit's leads may change, run or score this assessment.": "只有发文单位的负责人可以修改、计算或评分此考核。",
    "A scheme that has been run cannot be deleted.": "已计算过的考核方案不能删除。",
    "A finalised assessment run cannot be changed.": "已定稿的考核结果不能修改。",
    "the maximum score must be above 0 and at most {limit}": "满分必须大于0且不超过{limit}",
    "a threshold's score cannot exceed the indicator's maximum": "分档得分不能超过该指标的满分",
    "a computed veto item needs days; one set by hand has none": "自动计算的否决项须填写天数，人工认定的否决项不填",
    "the period cannot end before it starts": "考核期的结束日期不能早于开始日期",
    "grades must go from the best down, each minimum below the one before": "等次须从高到低排列，每一档的最低分须低于上一档",
    "the last grade is the failing one and starts at 0": "最后一个等次为不合格，最低分须为0",
    "indicator and veto codes must be unique within a scheme": "同一方案内指标和否决项的代码不能重复",
    "a linear mapping needs a floor and a target that differ": "线性计分须填写不相等的起评值和目标值",
    "a thresholds mapping needs at least one threshold": "分档计分至少需要一个分档",
    "an indicator needs exactly one source: campaign, rate, work_records or manual": "每个指标须有且只有一个数据来源：专项行动任务、工作比率、工作台账或人工评分",
    "no such campaign": "专项行动不存在",
    "only a veto item is struck or lifted": "只有否决项可以认定或撤销",
    "at most the indicator's maximum, {max_score}": "不能超过该指标的满分{max_score}",
    "give the score": "请填写得分",
    "a computed veto item is not set by hand": "自动计算的否决项不能人工认定",
    "say whether the veto item applies": "请说明是否认定该否决项",
    # Campaigns, task reports, evidence (campaigns/)
    "No such campaign.": "专项行动不存在或不在您的辖区内。",
    "The progress table is the issuer's.": "进展统计表只供发文单位查看。",
    "The evidence file is missing from the store.": "佐证材料文件在存储中已缺失。",
    "a phase cannot end before it starts": "阶段的结束日期不能早于开始日期",
    "a {measure} task needs a target": "“{measure}”类任务须填写目标值",
    "a rate target is at most 100 (%)": "比率目标值最大为 100（%）",
    "Only the issuing unit's leads may change or review this campaign.": "只有发文单位的负责人可以修改或审核此专项行动。",
    "a department's campaigns go to schools only": "部门发布的专项行动只能下发给学校",
    "A published campaign can only move its report deadline.": "已发布的专项行动只能调整报送截止日期。",
    "The campaign is closed.": "该专项行动已结束。",
    "a campaign needs at least one task": "专项行动至少需要一项任务",
    "the targets name no active unit": "下发范围内没有启用中的单位",
    "The campaign is {status}; it cannot be {action}.": "该专项行动当前为“{status}”，不能{action}。",
    "no such unit in reach": "您的范围内没有这个单位",
    "no such active unit in reach": "您的范围内没有这个启用中的单位",
    "given another checklist": "更换任务清单",
    "published": "发布",
    "closed": "结束",
    "reviewed": "审核",
    "Only the target unit itself reports on this task.": "只有接收任务的单位本身可以报送。",
    "No such task report.": "任务报送不存在或不在您的辖区内。",
    "a done/not-done task takes 1 or 0": "“完成/未完成”类任务只能填 1 或 0",
    "a rate is at most 100 (%)": "比率最大为 100（%）",
    "report a value before submitting": "请先填写完成情况再提交",
    "the file is empty": "文件是空的",
    "No such evidence file.": "佐证材料不存在。",
    "The campaign is {status}; reports are no longer taken.": "该专项行动当前为“{status}”，不再接受报送。",
    "The report is {status}; it cannot be changed now.": "该报告当前为“{status}”，现在不能修改。",
    "The report is {status}; only a submitted report is reviewed.": "该报告当前为“{status}”，只有已提交的报告可以审核。",
    "An evidence file is at most {max_bytes} bytes.": "佐证材料单个文件最大 {max_bytes} 字节。",
    "The file's content is not one of: {accepted}.": "文件内容不属于可接受的类型：{accepted}。",
    # School figures and terms (school_metrics/, terms.py)
    "this term has not begun": "该学期尚未开始",
    "name the school": "请选择学校",
    "more students registered than enrolled": "登记人数多于在校人数",
    "more students completed than registered": "完成人数多于登记人数",
    "No such school.": "学校不存在或不在您的辖区内。",
    "no such school in your scope": "您的辖区内没有这所学校",
    "this school appears twice in the batch": "同一批数据中这所学校出现了两次",
    "a term is written like 2026-fall or 2027-spring": "学期的写法如 2026-fall 或 2027-spring",
    "a term's year lies between {first} and {last}": "学期的年份应在 {first} 到 {last} 之间",
    # Campaign phases (campaigns/)
    "the campaign has no phase {phase}": "该专项行动没有“{phase}”阶段",
    "a task names a phase the campaign would no longer have": "有任务属于将被删除的阶段，请先修改任务的阶段",
    "two phases are the same stage": "两个阶段不能是同一工作阶段",
    # Work records (work_records/)
    "No such work record.": "工作台账记录不存在或不在您的辖区内。",
    "No such file.": "附件不存在。",
    "Only the unit that recorded this may change or delete it.": "只有录入该记录的单位可以修改或删除。",
    "A school's staff record only their school's publicity activities.": "学校人员只能录入本校的宣传教育活动。",
    "Only the inspecting unit may change this visit; the inspected unit marks it rectified.": (
        "只有检查单位可以修改该检查记录；被检查单位只能标记整改完成。"
    ),
    "the date is in the future": "日期不能晚于今天",
    "this field cannot be empty": "此项不能为空",
    "no such unit in scope": "您的辖区内没有这个单位",
    "a unit does not inspect itself": "不能检查本单位",
    "no such unit below the issuer": "发出单位的下级中没有这个单位",
    "the rectification cannot be due before the visit": "整改期限不能早于检查日期",
    "a rectification cannot be done before the visit": "整改完成日期不能早于检查日期",
    "a rectification date needs rectified set": "填写整改完成日期时须标记为已整改",
    # The file store (storage.py)
    "The file could not be stored; nothing was stored. Try again later.": "文件未能保存，未存储任何内容，请稍后重试。",
    "The file store cannot be reached; try again later.": "无法连接文件存储，请稍后重试。",
    "There is no room left for the file; nothing was stored. Tell the administrator.": (
        "存储空间不足，未存储任何内容，请告知管理员。"
    ),
    "The file store has no room for the file; nothing was stored.": "文件存储空间不足，未存储任何内容。",
    "The file store refused the request ({code}); try again later.": "文件存储拒绝了请求（{code}），请稍后重试。",
    # Imports of screening forms (imports/, workflows/imports.py)
    "No such import.": "导入记录不存在或不在您的权限范围内。",
    "Your role may not import this form.": "您的角色不能导入此表。",
    "The file is larger than the upload limit.": "文件超过上传大小限制。",
    "This is an old Excel file (.xls); save it as .xlsx and upload again.": (
        "这是旧版 Excel 文件（.xls），请另存为 .xlsx 后重新上传。"
    ),
    "This file is not a spreadsheet; upload an .xlsx or .csv file.": "该文件不是表格，请上传 .xlsx 或 .csv 文件。",
    "The .xlsx file is damaged and cannot be opened.": "该 .xlsx 文件已损坏，无法打开。",
    "The .xlsx file has too many parts to be a worksheet.": "该 .xlsx 文件包含的部件过多，不是正常的工作表。",
    "The .xlsx file unpacks to far more than it holds (a zip bomb?); it was not opened.": (
        "该 .xlsx 文件解压后远大于文件本身（疑似压缩炸弹），未予打开。"
    ),
    "The CSV file is in an unknown encoding; save it as UTF-8 or GBK.": "无法识别该 CSV 文件的编码，请另存为 UTF-8 或 GBK。",
    "The workbook has no visible worksheet to read.": "工作簿中没有可读取的可见工作表。",
    "The worksheet {sheet} is empty.": "工作表「{sheet}」是空的。",
    "The worksheet could not be read; open it in Excel or WPS, save it again and upload.": (
        "无法读取该工作表，请用 Excel 或 WPS 打开后重新保存再上传。"
    ),
    "No column of the form was found in the first {rows} rows; use the template's headers (required: {columns}).": (
        "前 {rows} 行中未找到本表的任何列，请使用模板的表头（必填列：{columns}）。"
    ),
    "Required columns are missing: {columns}.": "缺少必填列：{columns}。",
    "The sheet has more than {limit} rows; split it into several files.": "表格超过 {limit} 行，请拆分为多个文件上传。",
    "Read the worksheet {sheet}.": "已读取工作表「{sheet}」。",
    "Hidden worksheets were ignored: {sheets}.": "已忽略隐藏的工作表：{sheets}。",
    "Other worksheets were not read: {sheets}.": "未读取其他工作表：{sheets}。",
    "Cells with formulas were not read; paste their values instead.": "含公式的单元格未读取，请粘贴为数值。",
    "a formula: type the value itself": "此处是公式，请直接填写数值",
    "merged cells {cells}: unmerge and fill every row": "合并单元格 {cells}：请取消合并并逐行填写",
    "required": "必填",
    "required when there is no ID number": "未填身份证号时必填",
    "a date without a time of day is expected": "应为日期，不带时间",
    "a date is expected, not a number; format the cell as a date": "应为日期而不是数字，请将单元格设为日期格式",
    "not a date; write it as 2024-05-10 or 2024年5月10日": "不是日期，请写成 2024-05-10 或 2024年5月10日",
    "this day does not exist": "该日期不存在",
    "not one of the choices: {choices}": "不是可选值之一：{choices}",
    "the ID number was stored as a number and has lost digits; format the column as text": (
        "身份证号被存成了数字，已丢失位数，请将该列设为文本格式"
    ),
    "a whole number is expected": "应为整数",
    "write 是 or 否": "请填写“是”或“否”",
    "a 12-digit division code is expected": "应为12位区划代码",
    "at most {max_length} characters": "最多 {max_length} 个字符",
    "the birth date is in the future": "出生日期晚于今天",
    "the check date is in the future": "检查日期晚于今天",
    "the follow-up is before the check": "复查日期早于检查日期",
    "repeats row {row} of this file; skipped": "与本文件第 {row} 行重复，将跳过",
    "no active township, community or county office with this division code in your scope": (
        "您的辖区内没有该区划代码对应的街道、社区或县级办公室"
    ),
    "managed by another unit; skipped (a transfer can be requested)": "该人员由其他单位管理，将跳过（可申请移交）",
    "already registered in your scope; committing adds this row's categories to the record": (
        "已在本辖区登记，导入时将为已有记录补充本行的人员类别"
    ),
    "already registered in your scope; skipped": "已在本辖区登记，将跳过",
    "{limit} rows today matched minors managed by other units, the daily limit; this row was not checked": (
        "今日已有 {limit} 行与其他单位管理的人员相符，达到每日上限，本行未检查"
    ),
    "Nothing was imported: {count} rows have problems (all or nothing).": "未导入任何数据：有 {count} 行存在问题（全部或全不）。",
    "Nothing was imported: a row was refused while importing (all or nothing).": (
        "未导入任何数据：导入时有一行被拒绝（全部或全不）。"
    ),
    "The import stopped on an internal error; nothing was imported.": "导入因内部错误中止，未导入任何数据。",
    # Venues and pharmacy checks (venues/)
    "No such venue.": "场所不存在或不在您的辖区内。",
    "No such venue check.": "该场所没有这条排查记录。",
    "No such pharmacy check.": "药店排查记录不存在或不在您的辖区内。",
    "Only venue checkers keep venues.": "只有负责场所排查的人员可以登记和修改场所。",
    "Only venue checkers record venue checks.": "只有负责场所排查的人员可以记录场所排查。",
    "Only pharmacy checkers record pharmacy checks.": "只有负责药店排查的人员可以记录药店排查。",
    "the unit is not a school": "所选单位不是学校",
    "a check cannot be in the future": "排查日期不能晚于今天",
    "the follow-up date cannot be before the check": "复查日期不能早于排查日期",
    "this field cannot be emptied": "此项不能清空",
}
