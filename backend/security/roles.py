"""Roles of people, scopes of tokens, and which role holds which scope (docs/domain.md, Roles)."""

from backend.reference import LabelledEnum, reference


@reference("roles")
class Role(LabelledEnum):
    admin = ("admin", "系统管理员", "System administrator")
    supervisor = ("supervisor", "负责人", "Lead")
    caseworker = ("caseworker", "禁毒社工", "Social worker")
    police = ("police", "派出所民警", "Police officer")
    school_staff = ("school_staff", "学校教师", "School staff")
    education = ("education", "教育局", "Education bureau")
    auditor = ("auditor", "督查", "Auditor")


@reference("scopes")
class Scope(LabelledEnum):
    units_read = ("units:read", "查看单位", "Read units")
    units_write = ("units:write", "管理单位", "Manage units")
    users_read = ("users:read", "查看人员", "Read people")
    users_write = ("users:write", "管理人员", "Manage people")
    clients_read = ("clients:read", "查看接口客户端", "Read API clients")
    clients_write = ("clients:write", "管理接口客户端", "Manage API clients")
    seizures_write = ("seizures:write", "报送查获通知", "Push seizure notices")
    seizures_read = ("seizures:read", "查看查获通知", "Read seizure notices")
    seizures_acknowledge = ("seizures:acknowledge", "签收查获通知", "Acknowledge seizure notices")
    stats_read = ("stats:read", "读取统计", "Read statistics")
    stats_overview = ("stats:overview", "查看工作概况", "Read the dashboard of the own scope")
    metrics_write = ("metrics:write", "报送学校工作数据", "Submit school metrics")
    audit_read = ("audit:read", "查看审计日志", "Read the audit trail")
    minors_read = ("minors:read", "查看重点未成年人", "Read at-risk minors")
    minors_register = ("minors:register", "登记重点未成年人", "Register at-risk minors")
    minors_write = ("minors:write", "修改重点未成年人信息", "Edit at-risk minors' records")
    minors_reveal = ("minors:reveal", "查看完整身份信息", "Reveal identities")
    campaigns_read = ("campaigns:read", "查看专项行动和任务清单", "Read campaigns and task checklists")
    campaigns_write = (
        "campaigns:write",
        "发布专项行动、审核任务报告",
        "Issue campaigns and review task reports",
    )
    task_reports_write = ("task_reports:write", "报送任务进展", "Report progress on tasks")
    care_files_read = ("care_files:read", "查看帮教档案", "Read care files")
    care_files_write = ("care_files:write", "记录帮教工作", "Keep care files")
    care_files_approve = ("care_files:approve", "审批结案和设置回访周期", "Approve closures, set intervals")
    care_files_team = (
        "care_files:team",
        "参与帮教小组工作",
        "Work on the care files whose team names me",
    )
    school_files_write = (
        "school_files:write",
        "建立学校关爱档案（一人一档）",
        "Keep the school's own care files for its pupils",
    )
    transfers_read = ("transfers:read", "查看移交", "Read transfers")
    transfers_write = ("transfers:write", "办理移交", "Request and answer transfers")
    venues_read = ("venues:read", "查看重点场所排查", "Read venues and their checks")
    venues_write = ("venues:write", "记录重点场所排查", "Keep venues and record their checks")
    pharmacy_checks_read = ("pharmacy_checks:read", "查看药店排查", "Read pharmacy checks")
    pharmacy_checks_write = ("pharmacy_checks:write", "记录药店排查", "Record pharmacy checks")
    assessments_read = ("assessments:read", "查看考核结果", "Read assessments and their results")
    assessments_write = (
        "assessments:write",
        "制定考核方案、计算和定稿考核结果",
        "Set up assessment schemes, run and finalise them",
    )
    work_records_read = ("work_records:read", "查看工作台账", "Read work records")
    work_records_write = (
        "work_records:write",
        "记录宣传活动、督导检查和责任书",
        "Record publicity activities, inspections and responsibility letters",
    )


# What each role may do. A route names the scope it needs; it never checks roles by itself.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.admin: frozenset(
        {
            Scope.minors_read,
            Scope.units_read,
            Scope.units_write,
            Scope.users_read,
            Scope.users_write,
            Scope.clients_read,
            Scope.clients_write,
        }
    ),
    Role.supervisor: frozenset(
        {
            Scope.units_read,
            Scope.users_read,
            Scope.audit_read,
            Scope.minors_read,
            Scope.minors_register,
            Scope.minors_write,
            Scope.minors_reveal,
            Scope.campaigns_read,
            Scope.campaigns_write,
            Scope.task_reports_write,
            Scope.seizures_read,
            Scope.seizures_acknowledge,
            Scope.stats_read,
            Scope.stats_overview,
            Scope.care_files_read,
            Scope.care_files_write,
            Scope.care_files_approve,
            Scope.transfers_read,
            Scope.transfers_write,
            Scope.venues_read,
            Scope.venues_write,
            Scope.pharmacy_checks_read,
            Scope.pharmacy_checks_write,
            Scope.assessments_read,
            Scope.assessments_write,
            Scope.work_records_read,
            Scope.work_records_write,
        }
    ),
    Role.caseworker: frozenset(
        {
            Scope.units_read,
            Scope.minors_read,
            Scope.minors_register,
            Scope.minors_write,
            Scope.minors_reveal,
            Scope.campaigns_read,
            Scope.task_reports_write,
            Scope.seizures_read,
            Scope.seizures_acknowledge,
            Scope.stats_overview,
            Scope.care_files_read,
            Scope.care_files_write,
            Scope.transfers_read,
            Scope.transfers_write,
            Scope.venues_read,
            Scope.venues_write,
            Scope.pharmacy_checks_read,
            Scope.pharmacy_checks_write,
            Scope.assessments_read,
            Scope.work_records_read,
            Scope.work_records_write,
        }
    ),
    Role.police: frozenset(
        {
            Scope.units_read,
            Scope.seizures_write,
            Scope.seizures_read,
            Scope.minors_read,
            Scope.minors_register,
            Scope.minors_reveal,
            Scope.campaigns_read,
            Scope.task_reports_write,
            Scope.care_files_team,
            Scope.venues_read,
            Scope.venues_write,
        }
    ),
    Role.school_staff: frozenset(
        {
            Scope.units_read,
            Scope.minors_read,
            Scope.minors_register,
            Scope.campaigns_read,
            Scope.task_reports_write,
            Scope.stats_read,
            Scope.metrics_write,
            Scope.care_files_team,
            Scope.assessments_read,
            Scope.work_records_read,
            Scope.work_records_write,
            Scope.school_files_write,
        }
    ),
    # The education bureau issues school campaigns and reviews the schools' reports (docs/domain.md, Roles).
    Role.education: frozenset(
        {Scope.units_read, Scope.stats_read, Scope.metrics_write, Scope.campaigns_read, Scope.campaigns_write}
    ),
    Role.auditor: frozenset(
        {
            Scope.units_read,
            Scope.users_read,
            Scope.audit_read,
            Scope.minors_read,
            Scope.campaigns_read,
            Scope.stats_overview,
            Scope.care_files_read,
            Scope.transfers_read,
            Scope.venues_read,
            Scope.pharmacy_checks_read,
            Scope.assessments_read,
            Scope.work_records_read,
        }
    ),
}

# Scopes a machine client may be granted: integrations push and pull data, they never administer.
CLIENT_GRANTABLE_SCOPES: frozenset[Scope] = frozenset(
    {Scope.units_read, Scope.seizures_write, Scope.seizures_read, Scope.stats_read, Scope.metrics_write}
)
