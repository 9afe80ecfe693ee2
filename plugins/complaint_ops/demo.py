"""Demo data: a seeded company and its complaint history, in the intake format (docs/intake.md).

Why it exists: the rules of POLICY.md need realistic histories to be shown, tested and timed, with
every case the policy tells apart — stages done late (O1) or never (P10, F5), decisions, repeats (R2),
duplicates (R1), a collective complaint (R3), a major incident (A1), losses and a lost customer (P1),
bad attitude and delays, obstruction (P6), individuals with supervisors (P4/P5), teams (P8),
anonymous and reply-letter-only complaints (F3), written ones, second-round candidates (S1) — and
the outcomes of the follow-up orders (POLICY §5, §6; keys as `followups.py` derives them): assignment
orders and reply letters done (a few late), revisits done around their due date by phone or on site
(signed), some never, ~10% finding the customer unhappy (F4 revisits), second-round results mostly
"improved", some not (S2).

How:
- `generate()` is pure: explicit dates, its own `random.Random(seed)` (and a second stream derived
  from the seed for the follow-ups, so adding them left the complaints and stages as they were), never
  the clock or the global RNG, so the same arguments give byte-identical records. It streams: the organisation first
  (departments, teams, staff, customers, in an order where a supervisor precedes the supervised),
  then each complaint followed by its events, so a million complaints never sit in memory.
- Times are counted in *working seconds* (working-day index x 9 h + seconds after 09:00): every
  complaint arrives and every stage completes inside working hours (09:00-18:00 local) on a working
  day, and "N WD after t" (POLICY §1) is simply t + N x 9 h. Deadlines are counted from the actual
  completion of the previous stage (the stricter reading), so "in time" holds under either reading.
  Calendar-day deadlines of follow-ups (3 days, 2-3 months, 30 days) land on a working day through
  per-day tables, so follow-up outcomes cost a few table look-ups each.
- `load()` lands records: small runs through `intake.import_records` (the real validation path),
  large ones through `bulk_load` (`intake.normalize`, then COPY on PostgreSQL / executemany on SQLite,
  in bounded batches inside one transaction).
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import math
import operator
import queue
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Engine, bindparam, text

from complaint_ops import business_calendar, db, intake, settings
from complaint_ops.errors import UserError

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN = 9 * 3600  # working hours 09:00-18:00 local
WD = 9 * 3600  # working seconds in one working day
UTC = dt.timezone.utc

RATE_PER_DEPARTMENT = 0.3  # complaints per working day per complained-about department (~2.7 a day)
BULK_THRESHOLD = 20_000  # complaints; above this `demo-data` takes the bulk path
BATCH_ROWS = 20_000  # rows buffered by the bulk path before they are written

# --- the company -----------------------------------------------------------------------------------

# id, name, English name, teams 班组, ordinary staff (scaled), weight as target of external / internal
DEPARTMENTS = (
    ("GMO", "总经理办公室", "General Manager's Office", (), 0, 0, 0),
    ("FIN", "财务部", "Finance", ("出纳组",), 4, 8, 14),
    ("ACC", "会计服务部", "Accounting Services", ("记账一组", "记账二组", "审核组"), 8, 30, 14),
    ("TAX", "税务部", "Tax", ("申报组", "税务筹划组"), 6, 20, 12),
    ("CS", "客服部", "Customer Service", (), 0, 10, 10),
    ("REG", "工商事务部", "Business Registration", (), 3, 8, 8),
    ("DLV", "外勤部", "Field Service", ("递送组",), 4, 10, 12),
    ("PRM", "物业管理部", "Property Management", ("工程维修组", "安保组"), 5, 8, 10),
    ("ADM", "行政部", "Administration", ("后勤组",), 3, 4, 12),
    ("HR", "人力资源部", "Human Resources", (), 2, 0, 8),
)
CATEGORIES = ("product_quality", "contract", "transport", "service", "other")
CATEGORY_WEIGHTS = {  # in CATEGORIES order
    "FIN": (20, 40, 0, 30, 10), "ACC": (50, 15, 5, 25, 5), "TAX": (45, 15, 0, 25, 15),
    "CS": (0, 0, 0, 80, 20), "REG": (30, 20, 5, 35, 10), "DLV": (5, 5, 65, 15, 10),
    "PRM": (20, 0, 0, 40, 40), "ADM": (10, 0, 20, 35, 35), "HR": (0, 0, 0, 50, 50),
}
CHANNELS_EXTERNAL = (("phone", 50), ("visit", 12), ("email", 13), ("written", 10), ("fax", 3), ("other", 2))
CHANNELS_INTERNAL = (("email", 45), ("written", 30), ("other", 15), ("phone", 10))

SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
    ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"), ("潘", "pan"),
    ("蒋", "jiang"), ("蔡", "cai"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("苏", "su"),
    ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"), ("沈", "shen"), ("姚", "yao"),
    ("卢", "lu"), ("钟", "zhong"), ("范", "fan"), ("金", "jin"), ("方", "fang"), ("邹", "zou"),
    ("欧阳", "ouyang"), ("司马", "sima"),
)
GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("英", "ying"), ("华", "hua"), ("建", "jian"),
    ("文", "wen"), ("辉", "hui"), ("玲", "ling"), ("红", "hong"), ("鹏", "peng"), ("飞", "fei"),
    ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"),
    ("晨", "chen"), ("欣", "xin"), ("怡", "yi"), ("佳", "jia"), ("俊", "jun"), ("博", "bo"),
    ("思", "si"), ("嘉", "jia"), ("子", "zi"), ("涵", "han"), ("轩", "xuan"), ("睿", "rui"),
    ("瑶", "yao"), ("倩", "qian"), ("颖", "ying"), ("慧", "hui"), ("晓", "xiao"), ("志", "zhi"),
    ("海", "hai"), ("国", "guo"), ("春", "chun"), ("云", "yun"), ("峰", "feng"), ("波", "bo"),
    ("斌", "bin"), ("东", "dong"), ("亮", "liang"), ("宁", "ning"), ("萍", "ping"), ("琴", "qin"),
    ("丹", "dan"), ("兰", "lan"), ("梅", "mei"), ("荣", "rong"), ("新", "xin"), ("安", "an"),
)
CITIES = ("上海", "北京", "杭州", "苏州", "南京", "宁波", "无锡", "深圳", "广州", "成都", "武汉", "合肥",
          "厦门", "青岛", "天津", "重庆", "西安", "长沙", "郑州", "济南")
BRAND_CHARS = "宏达瑞丰鑫源华盛恒通永泰金诚百顺嘉禾利民汇德信新天成安康富中兴宇锦程博远图佳美聚隆鼎"
INDUSTRIES = ("贸易", "科技", "电子", "餐饮管理", "物流", "建材", "服饰", "文化传媒", "网络科技", "医疗器械",
              "食品", "机械设备", "装饰工程", "教育咨询", "化工", "印务", "家具", "农业开发", "信息技术", "商务咨询")
COMPANY_SUFFIXES = (("有限公司", 80), ("股份有限公司", 8), ("商行", 7), ("工作室", 5))
PHONE_PREFIXES = ("38", "39", "35", "36", "37", "50", "51", "52", "58", "59", "86", "87", "88", "89",
                  "30", "31", "32", "55", "56", "85", "33", "53", "80", "81", "77", "66", "99", "98")
TOPICS = ("账务处理", "发票开具", "税务申报", "工商变更", "社保代缴", "年度审计", "出口退税", "财务报表")

# (problem slug, summary template, departments it fits or None for any). Summaries may contain
# characters such as < and & on purpose: whatever renders them (mail, reports) must escape them.
EXTERNAL_TEMPLATES = {
    "product_quality": (
        ("bookkeeping-error", "{month}月记账凭证录入错误,资产负债表与实际不符", ("ACC",)),
        ("receivable-mismatch", "代账报表中应收账款<实际金额,客户要求重新出具报表", ("ACC",)),
        ("vat-return-error", "增值税申报表填报错误,客户被税务局约谈", ("TAX",)),
        ("iit-error", "个税汇算数据有误,员工需补税{amount}元", ("TAX",)),
        ("rnd-deduction", "研发费用(R&D)加计扣除资料缺失,未能享受优惠", ("TAX",)),
        ("annual-report", "工商年报漏报,企业被列入经营异常名录", ("REG",)),
        ("license-change", "营业执照变更材料填写错误,被退回{k}次", ("REG",)),
        ("invoice-error", "发票开具信息错误,客户无法抵扣进项税", ("FIN",)),
        ("aircon-repair", "办公室空调维修后仍不制冷,已报修{k}次", ("PRM",)),
        ("rework", "交付的{month}月资料存在多处差错,客户要求返工", ("ACC", "TAX", "REG", "FIN", "DLV")),
    ),
    "service": (
        ("rude-phone", "{staff}电话中态度生硬,多次打断客户说话", None),
        ("no-reply", "客户咨询{topic}后{n}天无人回复", None),
        ("callback-missed", "承诺的回电未兑现,客户多次催问", None),
        ("hotline", "客服热线长时间无人接听,客户来电{k}次未果", ("CS",)),
        ("late-visit", "上门服务人员迟到{k}小时且未提前通知", None),
    ),
    "contract": (
        ("report-late", "合同约定每月{k}日前交付报表,实际延误{n}天", None),
        ("price-mismatch", "续费报价与合同不符(报价<实收),客户要求退还差价", None),
        ("extra-fee", "合同外加收服务费{amount}元,客户不认可", None),
        ("renewal", "合同到期未提醒续签,导致代账服务中断", ("ACC", "TAX")),
    ),
    "transport": (
        ("invoice-lost", "外勤人员递送发票途中丢失原件", ("DLV",)),
        ("license-courier", "营业执照原件快递延误{n}天送达", ("DLV", "REG")),
        ("handover-missing", "凭证交接单缺失,客户资料去向不明", None),
        ("wrong-recipient", "税控设备送错客户,存在信息泄露风险", ("DLV",)),
    ),
    "other": (
        ("parking", "办公区停车位被占用,客户来访无处停车", ("PRM", "ADM")),
        ("hygiene", "大厦公共区域卫生差,洗手间长期缺纸&积水", ("PRM",)),
        ("noise", "装修噪音影响客户办公", ("PRM",)),
        ("process", "客户对{topic}的办理流程有意见", None),
    ),
}
INTERNAL_TEMPLATES = {
    "product_quality": (("data-error", "{target}提交的{month}月数据有误,导致{filer}返工"),
                        ("printer", "{target}采购的打印机频繁卡纸&缺粉,影响出单")),
    "contract": (("approval-late", "{target}合同审批超时{n}天,影响客户签约"),
                 ("deliverable", "{target}未按约定交付<月度税务报告>")),
    "transport": (("misdelivery", "{target}文件递送错送至其他客户"),
                  ("handover-late", "{target}未按时送达客户资料,交接延误{n}天")),
    "service": (("no-reply", "{target}未按时回复{filer}的工作联系单,延误{n}天"),
                ("shirking", "{target}在跨部门协作中推诿扯皮,影响客户交付")),
    "other": (("meeting-room", "{target}占用会议室未登记,影响客户接待"),
              ("archive", "{target}未按规定归档资料")),
}
# A major incident 重大投诉 [003 制度1 2(6)]: (slug, summary, department, category)
MAJOR_INCIDENTS = (
    ("lift-trapped", "大厦{k}号电梯困人约{m}分钟,客户受到惊吓", "PRM", "other"),
    ("power-cut", "突发性停电{k}小时,客户服务器宕机,资料未及时保存", "PRM", "other"),
)
# What 3+ customers complain about together (R3): (slug, summary, department, category)
COLLECTIVE_PROBLEMS = (
    ("system-outage", "代账系统故障,{month}月报表未能按时交付", "ACC", "product_quality"),
    ("invoices-lost", "同一批次邮寄的发票全部丢失", "DLV", "transport"),
    ("filing-missed", "{month}月增值税申报集体逾期,客户被税务局罚款", "TAX", "product_quality"),
)

# Every case listed here is forced onto at least one ordinary complaint in the first 60% of the period,
# so a default run shows each of them (the random rates below then add more).
FORCED = (
    "late:I1", "late:I2", "late:I3", "late:E1", "late:E2", "late:E3", "late:E4",
    "never:I1", "never:I3", "never:E2", "never:E4", "rejected", "anonymous", "reply_letter_only",
    "written", "loss_small", "loss_big", "customer_lost", "bad_attitude", "delay", "obstruction",
    "obstruction_grave", "target_staff", "target_team", "severity_raised", "handler_fine",
)
_INTERNAL_ONLY = ("late:I", "never:I", "obstruction")
P_EXTERNAL = 0.6
P_LATE, P_NEVER = 0.07, 0.02  # per stage
P_UPHELD = 0.82

# Follow-ups (POLICY §5, §6; plugins/complaint_ops/followups.py), with the periods of
# policy/complaint_policy.yaml (a unit test checks they agree with the policy in force).
ASSIGNMENT_DUE_WD = 1  # F1 assignment order, F3 reply letter: due 1 WD after closing
FIRST_REVISIT_DAYS = 3  # F2 first revisit (and each F4 revisit): calendar days after closing (the unhappy revisit)
REVISIT_MONTHS = (2, 3)  # F1 revisits 2 and 3: calendar months after closing
S1_OPENS_AFTER_DAYS, S1_DUE_WD = 30, 5  # S1: opens 30 days after an upheld complaint closed, due 5 WD later
REPEAT_WINDOW_DAYS, REPEAT_MEDIUM = 180, 3  # R2 -> medium severity: the first revisit goes to the department head
P_ORDER_LATE = 0.1  # an assignment order / reply letter done after its deadline (a day or two)
P_REVISIT_LATE, P_REVISIT_NEVER = 0.1, 0.05
P_ON_SITE = (0.08, 0.35)  # a revisit on site (signed): by customer service / an account manager; by a head
P_UNSATISFIED, P_STILL_UNSATISFIED = 0.1, 0.25  # a revisit / an F4 revisit finds the customer unhappy
P_SECOND_ROUND_LATE, P_SECOND_ROUND_NEVER = 0.1, 0.03
SECOND_ROUND_OUTCOMES = (("improved", 90), ("not_improved", 6), ("still_unhappy", 4))  # weights sum to 100
# Forced like FORCED (first eligible complaint received after a random moment in the first 40% of the
# period): (order, how). The revisit ones apply to the first revisit; an unhappy one gets its F4 done.
FORCED_FOLLOW_UPS = (
    ("assignment", "late"), ("revisit", "late"), ("revisit", "never"), ("revisit", "on_site"),
    ("revisit", "unsatisfied"), ("second_round", "not_improved"), ("second_round", "still_unhappy"),
)
REVISIT_NOTES = {("phone", "satisfied"): "电话回访,客户满意", ("phone", "unsatisfied"): "电话回访,客户仍不满意",
                 ("on_site", "satisfied"): "上门回访,客户签字确认",
                 ("on_site", "unsatisfied"): "上门回访,客户仍不满意,已签字"}
SECOND_ROUND_NOTES = {"improved": "二次调查:已整改到位", "not_improved": "二次调查:问题未见改善",
                      "still_unhappy": "二次调查:客户仍不满意"}


class DemoError(UserError):
    """The demo cannot be generated or loaded as asked (non-empty database, bad arguments)."""


# --- small pure helpers ----------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (negative: earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def period(months: int, end_date: dt.date) -> tuple[dt.date, dt.date]:
    """[start, end] of a demo: `months` months ending with `end_date` (inclusive)."""
    if months < 1:
        raise DemoError(f"--months must be at least 1, got {months}")
    return add_months(end_date, -months) + dt.timedelta(days=1), end_date


def default_end_date(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The last full local day before `now` (the CLI passes the wall clock; the generator never reads it)."""
    return now.astimezone(tz).date() - dt.timedelta(days=1)


def _weighted(rng: random.Random, pairs, total: float | None = None) -> str:
    """A value drawn by weight (`total`: the weights' sum, when the caller has it at hand: hot path)."""
    if total is None:
        total = sum(w for _, w in pairs)
    r = rng.random() * total
    for value, weight in pairs:
        r -= weight
        if r < 0:
            return value
    return pairs[-1][0]


def _cents(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


class _Clock:
    """Working seconds -> ISO 8601 text with the local offset (hot path: the date prefix and offset are
    cached per working day, the clock text per second of the working day, ~2 MB built once)."""

    _hms: list[str] = []

    def __init__(self, days: list[dt.date], tz: ZoneInfo):
        self.days = days
        self._prefix = [d.isoformat() + "T" for d in days]
        self._offset = [dt.datetime.combine(d, dt.time(12), tz).isoformat()[-6:] for d in days]
        if not _Clock._hms:
            _Clock._hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(OPEN, OPEN + WD)]
        self._clock = _Clock._hms

    def iso(self, t: int) -> str:
        i, s = divmod(t, WD)
        return f"{self._prefix[i]}{self._clock[s]}{self._offset[i]}"


def working_days(start: dt.date, end: dt.date, country: str = "CN") -> list[dt.date]:
    """The working days in [start, end] by the business calendar (POLICY §1), holidays and 调休 included."""
    return [d.day for d in business_calendar.build_days(start, end, country) if d.working]


# --- the organisation ------------------------------------------------------------------------------


@dataclass
class _Org:
    records: list[dict] = field(default_factory=list)  # departments, teams, staff (never the customers)
    names: dict[str, str] = field(default_factory=dict)  # staff id -> name, for summaries
    head: dict[str, str] = field(default_factory=dict)  # department -> its manager
    targets: dict[str, list[str]] = field(default_factory=dict)  # department -> staff with a supervisor
    teams: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # department -> (id, name)
    dept_name: dict[str, str] = field(default_factory=dict)
    gm: str = ""
    company_manager: str = ""
    secretary: str = ""
    cs_handlers: list[str] = field(default_factory=list)
    cs_assistant: str = ""
    account_managers: list[str] = field(default_factory=list)
    customer_am: list[str] = field(default_factory=list)  # customer index -> account manager (F1 owner)
    n_customers: int = 0


def _build_org(rng: random.Random, scale: int, n_customers: int) -> _Org:
    org = _Org(n_customers=n_customers)
    staff: list[dict] = []
    emails: Counter = Counter()
    width = max(4, len(str(60 * scale + n_customers // 150 + 100)))

    def person(dept: str, role: str, supervisor: str | None, team: str | None = None) -> str:
        sid = f"S{len(staff) + 1:0{width}d}"
        sur, sur_py = SURNAMES[int(rng.random() * len(SURNAMES))]
        given = [GIVEN[int(rng.random() * len(GIVEN))] for _ in range(1 if rng.random() < 0.3 else 2)]
        name = sur + "".join(g for g, _ in given)
        local = "".join(p for _, p in given) + "." + sur_py
        emails[local] += 1
        if emails[local] > 1:
            local += str(emails[local])
        rec = {"type": "staff", "id": sid, "name": name, "department_id": dept, "role": role,
               "email": f"{local}@example.com", "language": "en" if rng.random() < 0.06 else "zh"}
        if team:
            rec["team_id"] = team
        if supervisor:
            rec["supervisor_id"] = supervisor
        staff.append(rec)
        org.names[sid] = name
        return sid

    org.gm = person("GMO", "general_manager", None)
    org.company_manager = person("GMO", "company_manager", org.gm)
    org.secretary = person("GMO", "gm_secretary", org.gm)
    org.head["GMO"] = org.gm
    for dept, *_ in DEPARTMENTS[1:]:
        org.head[dept] = person(dept, "department_head", org.gm)
    org.cs_handlers = [person("CS", "customer_service", org.head["CS"]) for _ in range(3 * scale)]
    org.cs_assistant = person("CS", "cs_assistant", org.head["CS"])
    org.account_managers = [person("ACC", "account_manager", org.head["ACC"])
                            for _ in range(max(6, n_customers // 150))]
    team_records = []
    for dept, name, _en, teams, base, _we, _wi in DEPARTMENTS:
        org.dept_name[dept] = name
        org.teams[dept] = [(f"{dept}-T{i + 1}", tname) for i, tname in enumerate(teams)]
        team_records += [{"type": "team", "id": tid, "name": tname, "department_id": dept}
                         for tid, tname in org.teams[dept]]
        members = []
        leaders: dict[str, str] = {}
        for i in range(base * scale):
            if teams:
                tid = org.teams[dept][i % len(teams)][0]
                if tid not in leaders:  # the first member of a team leads it, under the department head
                    leaders[tid] = sid = person(dept, "staff", org.head[dept], tid)
                else:
                    sid = person(dept, "staff", leaders[tid], tid)
            else:
                sid = person(dept, "staff", org.head[dept])
            members.append(sid)
        org.targets[dept] = members
    org.targets["ACC"] = org.targets["ACC"] + org.account_managers
    org.targets["CS"] = org.cs_handlers + [org.cs_assistant]
    departments = [{"type": "department", "id": dept, "name": name, "name_en": en, "manager_id": org.head[dept]}
                   for dept, name, en, *_ in DEPARTMENTS]
    org.records = departments + team_records + staff
    return org


def _customers(rng: random.Random, org: _Org) -> Iterator[dict]:
    width = max(5, len(str(org.n_customers)))
    for i in range(1, org.n_customers + 1):
        brand = BRAND_CHARS[int(rng.random() * len(BRAND_CHARS))] + BRAND_CHARS[int(rng.random() * len(BRAND_CHARS))]
        name = (CITIES[int(rng.random() * len(CITIES))] + brand + INDUSTRIES[int(rng.random() * len(INDUSTRIES))]
                + _weighted(rng, COMPANY_SUFFIXES))
        phone = f"1{PHONE_PREFIXES[int(rng.random() * len(PHONE_PREFIXES))]}{int(rng.random() * 1e8):08d}"
        am = org.account_managers[int(rng.random() * len(org.account_managers))]
        org.customer_am.append(am)
        yield {"type": "customer", "id": f"C{i:0{width}d}", "name": name, "phone": phone, "account_manager_id": am}


# --- complaints ------------------------------------------------------------------------------------


@dataclass
class _Case:
    """What one complaint will look like before it is written out."""

    kind: str
    dept: str
    category: str
    slug: str
    summary: str  # template, formatted in _emit
    t0: int  # received, in working seconds
    code: str | None = None  # problem_code; None = unique per complaint
    customer: int | None = None
    filer: str | None = None
    target_staff: str | None = None
    target_team: tuple[str, str] | None = None
    facts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # phrases appended to the summary
    outcome: dict = field(default_factory=dict)  # stage -> "late" | "never"; absent = random
    random_outcomes: bool = True
    upheld: bool | None = None  # None = drawn
    duplicate_of: str | None = None


class _Generator:
    """Draws cases and writes them out as records; all randomness comes from the seeded `rng` (complaints,
    stages, decisions) and `follow_up_rng` (follow-up outcomes, forced follow-up cases)."""

    def __init__(self, rng: random.Random, org: _Org, clock: _Clock, n_days: int, total: int,
                 follow_up_rng: random.Random | None = None, settle: bool = False):
        self.rng, self.org, self.clock = rng, org, clock
        self.settle = settle  # History.settle: nothing stays open for ever
        self.n_days, self.total = n_days, total
        self.end = n_days * WD  # first working second after the period: nothing may happen from here on
        self.seq = 0
        self.width = max(6, len(str(total)))
        self.external_depts = [(d, we) for d, *_r, we, _wi in DEPARTMENTS if we]
        self.internal_depts = [(d, wi) for d, *_r, wi in DEPARTMENTS if wi]
        # the weights' sums, computed once (drawing is the hot path)
        self.external_total = sum(w for _, w in self.external_depts)
        self.internal_total = sum(w for _, w in self.internal_depts)
        self.category_weights = {d: (pairs, sum(w for _, w in pairs)) for d, ws in CATEGORY_WEIGHTS.items()
                                 for pairs in [tuple(zip(CATEGORIES, ws))]}
        self.channel_totals = (sum(w for _, w in CHANNELS_EXTERNAL), sum(w for _, w in CHANNELS_INTERNAL))
        self.heads = [d for d, *_ in DEPARTMENTS[1:]]
        self.head_of = {staff: dept for dept, staff in org.head.items()}
        self.customer_width = max(5, len(str(org.n_customers)))
        self.templates = {
            (d, c): [t for t in EXTERNAL_TEMPLATES[c] if t[2] is None or d in t[2]]
            for d, *_ in DEPARTMENTS for c in CATEGORIES
        }
        # Follow-ups draw from a stream of their own, so the complaints and stages stay as they were.
        self.frng = follow_up_rng or random.Random(0)
        days = clock.days
        on_or_after = lambda day: bisect.bisect_left(days, day)  # noqa: E731 - n_days: after the period
        # per working-day index: where calendar-day deadlines land (the next working day if need be)
        self.revisit_day = [on_or_after(d + dt.timedelta(days=FIRST_REVISIT_DAYS)) for d in days]
        self.month_day = [[on_or_after(add_months(d, m)) for d in days] for m in REVISIT_MONTHS]
        self.s1_day = []  # (index of the first working day from the opening, opens on that very day)
        for d in days:
            opens = d + dt.timedelta(days=S1_OPENS_AFTER_DAYS)
            j = on_or_after(opens)
            self.s1_day.append((j, j < n_days and days[j] == opens))
        self.repeat_from = [bisect.bisect_right(days, d - dt.timedelta(days=REPEAT_WINDOW_DAYS)) * WD for d in days]
        self.recent: dict[tuple[str, str], deque] = {}  # (department, category) -> times received (R2)
        self.forced_follow_ups = sorted([int(self.frng.random() * 0.4 * self.end), order, how]
                                        for order, how in FORCED_FOLLOW_UPS)

    # -- drawing the case --

    def _category(self, dept: str) -> str:
        pairs, total = self.category_weights[dept]
        return _weighted(self.rng, pairs, total)

    def case(self, kind: str, t0: int, dept: str | None = None, category: str | None = None) -> _Case:
        rng = self.rng
        if dept is None:
            dept = (_weighted(rng, self.external_depts, self.external_total) if kind == "external"
                    else _weighted(rng, self.internal_depts, self.internal_total))
        category = category or self._category(dept)
        if kind == "external":
            options = self.templates[(dept, category)] or self.templates[(dept, "service")]
            slug, summary, _ = options[int(rng.random() * len(options))]
            customer = int(rng.random() * self.org.n_customers)
            return _Case(kind, dept, category, slug, summary, t0, customer=customer)
        options = INTERNAL_TEMPLATES[category]
        slug, summary = options[int(rng.random() * len(options))]
        filer_dept = dept
        while filer_dept == dept:  # a department head files against *another* department [000 四.2]
            filer_dept = self.heads[int(rng.random() * len(self.heads))]
        return _Case(kind, dept, category, slug, summary, t0, filer=self.org.head[filer_dept])

    def decorate(self, c: _Case) -> None:
        """Random facts at realistic rates (P1 severity facts, P6, P8, F3, channel)."""
        rng = self.rng
        external = c.kind == "external"
        if external and rng.random() < 0.03:
            self.apply(c, "anonymous")
        elif external and rng.random() < 0.03:
            self.apply(c, "reply_letter_only")
        if rng.random() < (0.06 if external else 0.02):
            self.apply(c, "loss_big" if rng.random() < 0.4 else "loss_small")
            if external and rng.random() < 0.08:
                self.apply(c, "customer_lost")
        if rng.random() < (0.2 if c.category == "service" else 0.02):
            self.apply(c, "bad_attitude")
        if rng.random() < 0.05:
            self.apply(c, "delay")
        if not external and rng.random() < 0.02:
            self.apply(c, "obstruction_grave" if rng.random() < 0.15 else "obstruction")
        if external and rng.random() < 0.25:  # internal ones go to the department's manager [000 四.2]
            self.apply(c, "target_staff")
        elif external and rng.random() < 0.12 and self.org.teams[c.dept]:
            self.apply(c, "target_team")
        if rng.random() < 0.02:
            self.apply(c, "severity_raised")
        if "loss_amount" in c.facts and rng.random() < 0.1:
            self.apply(c, "handler_fine")

    def apply(self, c: _Case, feature: str) -> None:
        """Give a case one feature (also used to force every case into a default run)."""
        rng, f = self.rng, c.facts
        if feature.startswith(("late:", "never:")):
            how, stage = feature.split(":")
            c.outcome[stage] = how
        elif feature == "rejected":
            c.upheld = False
        elif feature == "anonymous":
            f["anonymous"] = True
            c.customer = None
        elif feature == "reply_letter_only":
            f["reply_letter_only"] = True
            c.notes.append("客户仅要求书面回函答复")
        elif feature == "written":
            f["channel"] = "written"
            c.notes.append("客户递交书面投诉信")
        elif feature in ("loss_small", "loss_big"):  # P1: severe, -10 below 500 CNY, -20 from 500
            cents = 5000 + int(rng.random() * 44999) if feature == "loss_small" else 50000 + int(rng.random() * 1950000)
            f["loss_amount"] = _cents(cents)
            c.notes.append(f"造成损失{f['loss_amount']}元")
        elif feature == "handler_fine":  # P3: the handler asks for more than the matrix minimum
            if "loss_amount" not in f:
                self.apply(c, "loss_big")
            f["handler_fine"] = f"{300 + 100 * int(rng.random() * 8)}.00"
        elif feature == "customer_lost":
            f["customer_lost"] = True
            c.notes.append("客户已终止合作")
        elif feature == "bad_attitude":
            f["bad_attitude"] = True
            c.notes.append("接待人员态度恶劣")
        elif feature == "delay":
            f["delay_days"] = 3 + int(rng.random() * 8)
            c.notes.append(f"致使工作延误{f['delay_days']}天")
        elif feature in ("obstruction", "obstruction_grave"):
            f["obstruction"] = True
            c.notes.append("调查中拒绝提供凭证,拖延调查")
            if feature == "obstruction_grave":
                f["obstruction_grave"] = True
                c.notes.append("并隐瞒、歪曲事实")
        elif feature == "target_staff":
            people = self.org.targets[c.dept]
            c.target_staff = people[int(rng.random() * len(people))]
            c.target_team = None
            c.notes.append(f"责任人:{self.org.names[c.target_staff]}")
        elif feature == "target_team":
            teams = self.org.teams[c.dept]
            c.target_team = teams[int(rng.random() * len(teams))]
            c.target_staff = None
            c.notes.append(f"责任班组:{c.target_team[1]}")
        elif feature == "severity_raised":
            f["severity_raised"] = "severe" if "loss_amount" in f else "medium"
        else:  # pragma: no cover - a typo in FORCED
            raise ValueError(f"unknown demo feature {feature!r}")

    def forced_case(self, feature: str, t0: int) -> _Case:
        kind = "internal" if feature.startswith(_INTERNAL_ONLY) else "external"
        dept = None
        if feature == "target_team":
            dept = ("ACC", "TAX", "DLV", "PRM")[int(self.rng.random() * 4)]
        c = self.case(kind, t0, dept)
        c.random_outcomes = False  # every other stage in time, so the forced one stands out
        c.upheld = feature != "rejected"
        self.apply(c, feature)
        return c

    # -- writing it out --

    def next_id(self) -> str:
        self.seq += 1
        return f"CP{self.seq:0{self.width}d}"

    def emit(self, c: _Case) -> tuple[str, list[dict]]:
        """The complaint record and its events (those that happened by the end of the period)."""
        rng, org = self.rng, self.org
        cid = self.next_id()
        channel = c.facts.pop("channel", None) or (
            _weighted(rng, CHANNELS_EXTERNAL, self.channel_totals[0]) if c.kind == "external"
            else _weighted(rng, CHANNELS_INTERNAL, self.channel_totals[1]))
        handler = (org.secretary if c.kind == "internal"
                   else org.cs_handlers[int(rng.random() * len(org.cs_handlers))])
        filer = c.filer or handler
        summary = c.summary.format(
            month=self.clock.days[c.t0 // WD].month, k=2 + int(rng.random() * 5), n=2 + int(rng.random() * 6),
            m=15 + int(rng.random() * 50),
            amount=_cents(10000 + int(rng.random() * 290000)), topic=TOPICS[int(rng.random() * len(TOPICS))],
            staff=org.names[c.target_staff] if c.target_staff else "工作人员",
            target=org.dept_name[c.dept], filer=org.dept_name.get(self.head_of.get(filer, ""), ""),
        )
        if c.notes:
            summary += "," + ",".join(c.notes)
        if c.facts.get("anonymous"):
            summary = "(匿名)" + summary
        rec = {"type": "complaint", "id": cid, "kind": c.kind, "category": c.category, "channel": channel,
               "received_at": self.clock.iso(c.t0), "filer_id": filer, "handler_id": handler}
        if c.customer is not None:
            rec["customer_id"] = f"C{c.customer + 1:0{self.customer_width}d}"
        rec["target_department_id"] = c.dept
        if c.target_staff:
            rec["target_staff_id"] = c.target_staff
        if c.target_team:
            rec["target_team_id"] = c.target_team[0]
        rec["problem_code"] = c.code or f"{c.dept}-{c.slug}-{self.seq}"
        rec["summary"] = summary + "。"
        if channel == "written":
            rec["written"] = True
        rec.update(c.facts)
        if c.duplicate_of:
            rec["duplicate_of"] = c.duplicate_of
        events, decided, closed = self._timeline(c, cid, handler)
        if decided is not None:
            upheld = c.upheld if c.upheld is not None else rng.random() < P_UPHELD
            rec["upheld"] = upheld
            rec["decided_at"] = self.clock.iso(decided)
        repeats = self._repeats(c)
        if closed is not None:
            events += self._follow_ups(c, cid, handler, closed, rec.get("upheld") is True, repeats)
        return cid, [rec] + events

    def _outcome(self, c: _Case, stage: str) -> str:
        forced = c.outcome.get(stage)
        if forced or not c.random_outcomes:
            return forced or "ok"
        r = self.rng.random()
        return "late" if r < P_LATE else ("late" if self.settle else "never") if r < P_LATE + P_NEVER else "ok"

    def _done(self, outcome: str, prev: int, deadline: int) -> int:
        """When a stage completes: in time = after `prev`, not after `deadline` (skewed early); late =
        from half an hour to five working days after the deadline."""
        rng = self.rng
        lo = prev + 300
        if outcome == "late" or lo >= deadline:
            return max(deadline, prev) + 1800 + int(rng.random() * 5 * WD)
        return lo + int((deadline - lo) * rng.random() ** 2)

    def _timeline(self, c: _Case, cid: str, handler: str) -> tuple[list[dict], int | None, int | None]:
        """Stage events per POLICY §3; returns them, the decision time and the closing time (I3 / E4
        done; None: not yet)."""
        head = self.org.head[c.dept]
        steps: list[tuple[str, str | None, int, str]] = []  # (event id suffix, stage, time, actor)
        t0 = c.t0
        decided = closed = None
        if c.kind == "internal":
            fwd = t0 + 300 + int(self.rng.random() * 10500)  # the GM secretary forwards within ~3 h
            steps.append(("FWD", None, fwd, self.org.secretary))
            i1 = self._outcome(c, "I1")
            t1 = None if i1 == "never" else self._done(i1, fwd, fwd + WD)  # I1: 1 WD after forwarding
            if t1 is not None:
                steps.append(("I1", "I1", t1, head))
            i2 = self._outcome(c, "I2")
            if i2 != "never":  # I2 waits for the reply when one came in time; P10: otherwise it goes on
                prev = t1 if t1 is not None and i1 == "ok" else fwd
                t2 = self._done(i2, prev, t0 + WD)
                steps.append(("I2", "I2", t2, self.org.secretary))
                i3 = self._outcome(c, "I3")
                if i3 != "never":
                    t3 = self._done(i3, t2, t0 + 2 * WD)
                    steps.append(("I3", "I3", t3, self.org.secretary))
                    decided = closed = t3
        else:
            prev = t0
            actors = {"E1": handler, "E2": head, "E3": handler, "E4": handler}
            for stage in ("E1", "E2", "E3", "E4"):
                outcome = self._outcome(c, stage)
                if outcome == "never":
                    break
                prev = self._done(outcome, prev, prev + WD)  # 1 WD after the previous stage
                steps.append((stage, stage, prev, actors[stage]))
                if stage == "E2":
                    decided = prev  # the department head's findings decide it
                elif stage == "E4":
                    closed = prev
        events = []
        for suffix, stage, t, actor in steps:
            if t >= self.end:
                continue  # still in progress when the period ends
            ev = {"type": "event", "id": f"{cid}-{suffix}", "complaint_id": cid,
                  "event_type": "forwarded" if stage is None else "stage_done"}
            if stage:
                ev["stage"] = stage
            ev["occurred_at"] = self.clock.iso(t)
            ev["actor_id"] = actor
            events.append(ev)
        if decided is not None and decided >= self.end:
            decided = None
        if closed is not None and closed >= self.end:
            closed = None
        return events, decided, closed

    def _repeats(self, c: _Case) -> int:
        """R2: complaints against the same department and category in the window ending with this one
        (duplicates not counted), about as the system counts them: it decides who owns the first revisit."""
        recent = self.recent.get((c.dept, c.category))
        if recent is None:
            recent = self.recent[(c.dept, c.category)] = deque()
        start = self.repeat_from[c.t0 // WD]
        while recent and recent[0] < start:
            recent.popleft()
        if not c.duplicate_of:
            recent.append(c.t0)
        return len(recent)

    # -- follow-ups (POLICY §5, §6): outcome events of the orders `followups.py` derives --

    def _forced_follow_up(self, order: str, t0: int) -> list | None:
        """The forced follow-up case (threshold, order, how) due for `order` on a complaint received at t0."""
        for forced in self.forced_follow_ups:
            if forced[1] == order and forced[0] <= t0:
                return forced
        return None

    def _follow_ups(self, c: _Case, cid: str, handler: str, closed: int, upheld: bool, repeats: int) -> list[dict]:
        """Completions of the follow-up orders of a complaint closed at `closed` (only those before the
        end of the period, never before the order starts), in time order."""
        rng, org, end = self.frng, self.org, self.end
        forced = self.forced_follow_ups
        out: list[tuple[int, dict]] = []
        day, clock = divmod(closed, WD)
        if c.kind == "external":
            f = c.facts
            manager = org.customer_am[c.customer] if c.customer is not None else handler
            force = self._forced_follow_up("assignment", c.t0) if forced else None
            t = self._order_done(closed, force is not None)
            if t < end:  # F1: the account manager completes the assignment order 交办单
                if force is not None:
                    forced.remove(force)
                out.append((t, {"type": "event", "id": f"{cid}-F1", "complaint_id": cid, "event_type": "order_done",
                                "order_key": f"{cid}:F1:assignment", "occurred_at": self.clock.iso(t),
                                "actor_id": manager}))
            if f.get("anonymous") or f.get("reply_letter_only"):  # F3: the reply letter instead of revisits
                t = self._order_done(closed, False)
                if t < end:
                    out.append((t, {"type": "event", "id": f"{cid}-F3", "complaint_id": cid,
                                    "event_type": "order_done", "order_key": f"{cid}:F3:reply_letter",
                                    "occurred_at": self.clock.iso(t), "actor_id": handler, "note": "已书面回函"}))
            else:
                self._revisits(c, cid, closed, day, clock, manager, repeats, out)
        if upheld:  # S1: the handler's second-round investigation 二次调查
            j, same_clock = self.s1_day[day]
            if j < self.n_days:
                opens = j * WD + (clock if same_clock else 0)  # the first working second from the opening
                due = opens + S1_DUE_WD * WD if same_clock else (j + S1_DUE_WD) * WD - 1
                force = self._forced_follow_up("second_round", c.t0) if forced else None
                r = rng.random()
                if force is not None or r >= P_SECOND_ROUND_LATE + P_SECOND_ROUND_NEVER:
                    t = opens + 1800 + int((due - opens - 1800) * rng.random())
                elif r < P_SECOND_ROUND_LATE:
                    t = due + 1800 + int(rng.random() * 5 * WD)
                else:  # never: still open (settled history: late)
                    t = due + 1800 + int(rng.random() * 5 * WD) if self.settle else end
                outcome = _weighted(rng, SECOND_ROUND_OUTCOMES, 100)
                if t < end:
                    if force is not None:
                        outcome = force[2]
                        forced.remove(force)
                    out.append((t, {"type": "event", "id": f"{cid}-S1", "complaint_id": cid,
                                    "event_type": "second_round_result", "order_key": f"{cid}:S1",
                                    "occurred_at": self.clock.iso(t), "actor_id": handler, "outcome": outcome,
                                    "note": SECOND_ROUND_NOTES[outcome]}))
        if len(out) > 1:
            out.sort(key=operator.itemgetter(0))
        return [e for _, e in out]

    def _order_done(self, closed: int, late: bool) -> int:
        """An order due ASSIGNMENT_DUE_WD after closing: mostly done within hours, some a day or two late."""
        rng = self.frng
        if late or rng.random() < P_ORDER_LATE:
            return closed + ASSIGNMENT_DUE_WD * WD + 1800 + int(rng.random() * 2 * WD)
        return closed + 600 + int((ASSIGNMENT_DUE_WD * WD - 600) * rng.random() ** 2)

    def _revisits(self, c: _Case, cid: str, closed: int, day: int, clock: int, manager: str, repeats: int,
                  out: list[tuple[int, dict]]) -> None:
        """F1/F2 revisits 1-3 and the F4 revisits their unhappy outcomes schedule, keyed as
        `followups._revisits` keys them: revisit k's chain is F4:k.1, F4:k.2, ..."""
        org, f = self.org, c.facts
        if f.get("major") or "loss_amount" in f or f.get("customer_lost") or f.get("severity_raised") == "severe":
            first, p_on_site = org.company_manager, P_ON_SITE[1]  # F2: major/severe -> the company manager
        elif (f.get("bad_attitude") or f.get("delay_days", 0) >= 3 or f.get("severity_raised") == "medium"
              or repeats >= REPEAT_MEDIUM):
            first, p_on_site = org.head[c.dept], P_ON_SITE[1]  # important -> the department head
        else:
            first, p_on_site = org.cs_assistant, P_ON_SITE[0]  # ordinary -> the customer-service assistant
        force = self._forced_follow_up("revisit", c.t0) if self.forced_follow_ups else None
        how = force[2] if force is not None else None
        unhappy = []  # (time, sequence, revisit done)
        plan = ((1, first, self.revisit_day[day], p_on_site), (2, manager, self.month_day[0][day], P_ON_SITE[0]),
                (3, manager, self.month_day[1][day], P_ON_SITE[0]))
        for seq, owner, due_day, p in plan:
            if due_day >= self.n_days:
                break  # due after the period (and so are the later ones)
            done = self._revisit(closed, due_day * WD + clock, owner, p, how if seq == 1 else None, P_UNSATISFIED)
            if seq == 1 and force is not None:
                if done is not None or how == "never":
                    self.forced_follow_ups.remove(force)
                else:
                    how = None  # after the period: the case is forced on a later complaint
            if done is None:
                continue
            out.append((done[0], self._revisit_event(cid, f"RV{seq}", f"revisit:{seq}", done)))
            if done[3] == "unsatisfied":
                unhappy.append((done[0], seq, done))
        unhappy.sort(key=operator.itemgetter(0, 1))
        # a forced unhappy first revisit gets its F4 revisit done, in time and satisfied
        queue_ = deque((done, "satisfied" if seq == 1 and how == "unsatisfied" else None, seq, 1)
                       for _t, seq, done in unhappy)
        while queue_:
            found, how_next, seq, depth = queue_.popleft()
            due_day = self.revisit_day[found[0] // WD]
            if due_day >= self.n_days:
                continue  # the F4 revisit is due after the period
            done = self._revisit(found[0], due_day * WD + found[0] % WD, found[1], P_ON_SITE[0], how_next,
                                 P_STILL_UNSATISFIED)
            if done is None:
                continue
            out.append((done[0], self._revisit_event(cid, f"F4-{seq}.{depth}", f"F4:{seq}.{depth}", done)))
            if done[3] == "unsatisfied":
                queue_.append((done, None, seq, depth + 1))

    def _revisit(self, start: int, due: int, owner: str, p_on_site: float, forced: str | None,
                 p_unhappy: float) -> tuple[int, str, str, str] | None:
        """(time, owner, method, outcome) of a revisit due at `due`, or None: not done by the end."""
        rng = self.frng
        r = rng.random()
        never = forced is None and P_REVISIT_LATE <= r < P_REVISIT_LATE + P_REVISIT_NEVER
        if forced == "never" or (never and not self.settle):
            return None
        if forced == "late" or never or (forced is None and r < P_REVISIT_LATE):
            t = due + 1800 + int(rng.random() * 5 * WD)
        else:  # around the due date, mostly on the day itself
            lo = max(start + 600, due - 2 * WD)
            t = due - int((due - lo) * rng.random() ** 2)
        if t >= self.end:
            return None
        method = "on_site" if forced == "on_site" or rng.random() < p_on_site else "phone"
        unhappy = forced == "unsatisfied" or (forced != "satisfied" and rng.random() < p_unhappy)
        return t, owner, method, "unsatisfied" if unhappy else "satisfied"

    def _revisit_event(self, cid: str, suffix: str, key: str, done: tuple[int, str, str, str]) -> dict:
        t, owner, method, outcome = done
        ev = {"type": "event", "id": f"{cid}-{suffix}", "complaint_id": cid, "event_type": "revisit_done",
              "order_key": f"{cid}:{key}", "occurred_at": self.clock.iso(t), "actor_id": owner, "method": method}
        if method == "on_site":
            ev["signature"] = True  # [003 制度2 1.7]
        ev["outcome"] = outcome
        ev["note"] = REVISIT_NOTES[(method, outcome)]
        return ev


# --- the plan: how many complaints on which day, and the special groups ---------------------------


@dataclass(frozen=True)
class History:
    """How a long history is drawn (bench/): a fixed organisation (`scale`, `customers`), the same
    number of complaints every working day (`flat`), and work that is eventually done (`settle`: a
    stage, revisit or investigation the demo would leave open for ever is done late instead), as in a
    company that clears its backlog: old complaints are closed, only recent ones are still open."""

    scale: int | None = None
    customers: int | None = None
    flat: bool = False
    settle: bool = False


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    s = sum(weights) or 1.0
    raw = [total * w / s for w in weights]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def generate(months: int, seed: int, end_date: dt.date, complaints: int | None = None, *,
             tz: ZoneInfo = SHANGHAI, country: str = "CN", history: History | None = None) -> Iterator[dict]:
    """Intake records of a demo company over `months` months ending with `end_date` (inclusive).

    Deterministic: the same arguments give the same records in the same order. Yields departments,
    teams, staff, customers, then each complaint followed by its events. `complaints` sets the total
    number of complaints (default: ~0.3 a working day per department); the staff and customers grow
    with it. `history` (benchmarks) holds the organisation and the daily intake steady, so that only
    the length of the history differs between two sizes.
    """
    days = _days(months, end_date, country)
    total = planned_total(months, end_date, complaints, country)
    rng = random.Random(seed)
    history = history or History()
    scale = history.scale or max(1, round(math.sqrt(total / 400)))
    org = _build_org(rng, scale, n_customers=history.customers or max(150, total // 4))
    yield from org.records
    yield from _customers(rng, org)
    gen = _Generator(rng, org, _Clock(days, tz), len(days), total,
                     follow_up_rng=random.Random(f"complaint-ops demo follow-ups {seed}"), settle=history.settle)
    yield from _complaints(gen, total, flat=history.flat)


def _days(months: int, end_date: dt.date, country: str) -> list[dt.date]:
    start, end = period(months, end_date)
    days = working_days(start, end, country)
    if not days:
        raise DemoError(f"no working day in {start}..{end}")
    return days


def planned_total(months: int, end_date: dt.date, complaints: int | None = None, country: str = "CN") -> int:
    """How many complaints `generate` will yield: `complaints`, or the natural rate over the period's
    working days. Checks the arguments and the calendar range before anything is written."""
    if complaints is not None:
        if complaints < 0:
            raise DemoError(f"--complaints must be >= 0, got {complaints}")
        _days(months, end_date, country)
        return complaints
    return round(RATE_PER_DEPARTMENT * (len(DEPARTMENTS) - 1) * len(_days(months, end_date, country)))


def _complaints(gen: _Generator, total: int, flat: bool = False) -> Iterator[dict]:
    rng, n_days = gen.rng, gen.n_days
    # Special groups, scaled with the total; dropped (rarest first) when the total is too small.
    groups: list[tuple] = []
    budget = total // 2
    n_series = max(2, round(total * 0.035 / 3.5)) if n_days >= 14 else 0
    plan = [("collective", max(1, total // 5000), 4), ("major", max(1, total // 4000), 1),
            ("duplicate", max(2, round(total * 0.012)), 2), ("subordinate", max(1, round(total * 0.005)), 2),
            ("series", n_series, 4)]
    schedule: list[list[tuple]] = [[] for _ in range(n_days)]
    latest = max(0, int(n_days * 0.6))  # early enough to be closed (and S1-eligible) by the end
    used = 0
    for kind, count, size in plan:
        for g in range(count):
            if used + size > budget:
                break
            if kind == "series":  # 3-4 complaints about one problem, >= 6 WD apart (so never an R3)
                members = 3 + (rng.random() < 0.4)
                first = int(rng.random() * max(1, n_days - 6 * (members - 1)))
                span = max(6, min(40, (n_days - 1 - first) // (members - 1)))
                day = first
                for m in range(members):
                    if day >= n_days:
                        break
                    schedule[day].append(("series", g, m))
                    used += 1
                    day += 6 + int(rng.random() * (span - 5))
                groups.append(("series", g, _series_spec(gen, g)))
            else:
                day = int(rng.random() * (latest + 1))
                schedule[day].append((kind, g))
                used += size
    series = {g: spec for kind, g, spec in groups}
    weights = [1.0 if flat else 0.6 + rng.random() * 0.8 for _ in range(n_days)]
    ordinary = _largest_remainder(max(0, total - used), weights)
    forced: list[list[str]] = [[] for _ in range(n_days)]
    for feature in FORCED:
        forced[int(rng.random() * (latest + 1))].append(feature)

    pending: list[str] = []
    made = 0
    for day in range(n_days):
        pending += forced[day]
        slots = [("ordinary",)] * ordinary[day] + schedule[day]
        times = sorted(day * WD + int(rng.random() * (WD - 1800)) for _ in slots)
        order = sorted(range(len(slots)), key=lambda i: rng.random())
        for t0, i in zip(times, order):
            slot = slots[i]
            if made >= total:
                return
            kind = slot[0]
            if kind == "ordinary":
                if pending:
                    c = gen.forced_case(pending.pop(0), t0)
                else:
                    c = gen.case("external" if rng.random() < P_EXTERNAL else "internal", t0)
                    gen.decorate(c)
                out = [gen.emit(c)]
            elif kind == "series":
                out = [gen.emit(_series_member(gen, series[slot[1]], slot[2], t0))]
            elif kind == "collective":
                out = _collective(gen, t0, slot[1])
            elif kind == "major":
                out = [gen.emit(_major(gen, t0))]
            elif kind == "duplicate":
                out = _duplicate(gen, t0)
            else:
                out = _subordinate(gen, t0)
            for _cid, records in out:
                made += 1
                yield from records
                if made >= total:
                    return


def _series_spec(gen: _Generator, g: int) -> dict:
    rng = gen.rng
    kind = "external" if rng.random() < 0.5 else "internal"
    c = gen.case(kind, 0)
    return {"kind": kind, "dept": c.dept, "category": c.category, "slug": c.slug, "summary": c.summary,
            "code": f"{c.dept}-{c.slug}-R{g + 1}"}


def _series_member(gen: _Generator, spec: dict, m: int, t0: int) -> _Case:
    """R2: the same problem against the same department and category, again."""
    c = gen.case(spec["kind"], t0, spec["dept"], spec["category"])
    c.slug, c.summary, c.code = spec["slug"], spec["summary"], spec["code"]
    c.notes.append(f"同一问题第{m + 1}次投诉")
    gen.decorate(c)
    if m >= 2 and c.upheld is None:
        c.upheld = True
    return c


def _collective(gen: _Generator, t0: int, g: int) -> list[tuple[str, list[dict]]]:
    """R3: 4 different customers, the same problem, within 2 working days (<= 7 calendar days): major."""
    rng = gen.rng
    slug, summary, dept, category = COLLECTIVE_PROBLEMS[int(rng.random() * len(COLLECTIVE_PROBLEMS))]
    code = f"{dept}-{slug}-C{g + 1}"
    first_day = gen.clock.days[t0 // WD]
    customers: list[int] = []
    while len(customers) < min(4, gen.org.n_customers):
        x = int(rng.random() * gen.org.n_customers)
        if x not in customers:
            customers.append(x)
    times = []
    for _ in customers:
        t = t0 + int(rng.random() * 2 * WD)
        if t >= gen.end or (gen.clock.days[t // WD] - first_day).days > 6:
            t = t0 + int(rng.random() * (WD - t0 % WD))
        times.append(t)
    out = []
    for customer, t in zip(customers, sorted(times)):
        c = gen.case("external", t, dept, category)
        c.slug, c.summary, c.code, c.customer = slug, summary, code, customer
        c.facts["major"] = True
        c.notes.append("多家客户集体投诉")
        c.random_outcomes, c.upheld = False, True
        out.append(gen.emit(c))
    return out


def _major(gen: _Generator, t0: int) -> _Case:
    """A major incident (A1): reported at once, handled in time, often with a loss."""
    slug, summary, dept, category = MAJOR_INCIDENTS[int(gen.rng.random() * len(MAJOR_INCIDENTS))]
    c = gen.case("external", t0, dept, category)
    c.slug, c.summary = slug, summary
    c.facts["major"] = True
    c.random_outcomes, c.upheld = False, True
    if gen.rng.random() < 0.5:
        gen.apply(c, "loss_big")
    return c


def _duplicate(gen: _Generator, t0: int) -> list[tuple[str, list[dict]]]:
    """R1: a customer takes the same problem to a second department; the second record links to the first."""
    rng = gen.rng
    first = gen.case("external", t0)
    first.random_outcomes = False
    first.upheld = rng.random() < P_UPHELD
    first_id, first_records = gen.emit(first)
    second = gen.case("external", min(gen.end - 1, t0 + 1800 + int(rng.random() * WD)), first.dept, first.category)
    other = [d for d, *_ in DEPARTMENTS[1:] if d not in (first.dept, "CS")]
    second.slug, second.summary, second.customer = first.slug, first.summary, first.customer
    second.code = first_records[0]["problem_code"]
    second.notes.append(f"客户同时向{gen.org.dept_name[other[int(rng.random() * len(other))]]}反映")
    second.duplicate_of, second.random_outcomes, second.upheld = first_id, False, first.upheld
    return [(first_id, first_records), gen.emit(second)]


def _subordinate(gen: _Generator, t0: int) -> list[tuple[str, list[dict]]]:
    """[000 四.2]: a complaint against department B, then B's head files against the subordinate at fault."""
    rng = gen.rng
    first = gen.case("internal", t0)
    first.random_outcomes, first.upheld = False, True
    first_id, first_records = gen.emit(first)
    second = gen.case("internal", min(gen.end - 1, t0 + 3600 + int(rng.random() * WD)), first.dept, first.category)
    second.filer = gen.org.head[first.dept]
    second.slug, second.summary = first.slug, first.summary
    gen.apply(second, "target_staff")
    second.notes.append(f"部门主管调查{first_id}后对下属提出投诉")
    second.random_outcomes, second.upheld = False, True
    return [(first_id, first_records), gen.emit(second)]


# --- loading ----------------------------------------------------------------------------------------

TABLES = ("departments", "teams", "staff", "customers", "complaints", "order_sync_queue", "events")


@dataclass
class LoadResult:
    path: str  # "intake" or "bulk"
    records: Counter  # records generated, per type
    rows: Counter  # rows written, per table (decision events included)
    rejected: list = field(default_factory=list)
    unchanged: int = 0
    updated: int = 0
    seconds: float = 0.0


def counting(records: Iterable[dict], counts: Counter) -> Iterator[dict]:
    """Pass records through, counting them per type (for the summary)."""
    for r in records:
        counts[r["type"]] += 1
        yield r


def existing_rows(engine: Engine) -> dict[str, int]:
    """Rows already in the tables a demo writes; non-empty means `demo-data` refuses (never mixes data)."""
    with engine.connect() as conn:
        return {t: n for t in TABLES if (n := conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar())}


def load(engine: Engine, records: Iterable[dict], *, now: dt.datetime, source: str, bulk: bool = False,
         tz: ZoneInfo | None = None) -> LoadResult:
    """Land demo records: through intake (validated, all in memory) or the streaming bulk path."""
    tz = tz or settings.business_timezone()
    counts: Counter = Counter()
    started = time.monotonic()
    if bulk:
        rows = bulk_load(engine, counting(records, counts), now=now, source=source, tz=tz)
        return LoadResult("bulk", counts, rows, seconds=time.monotonic() - started)
    report = intake.import_records(engine, counting(records, counts), source, now=now, tz=tz)
    rows = Counter({intake.TABLES[t]: n for t, n in report.by_type.items()})
    return LoadResult("intake", counts, rows, list(report.rejected), report.unchanged, report.updated,
                      time.monotonic() - started)


class _Writer:
    """Buffers rows per table and writes them in dependency order (parents first), in one transaction.

    On PostgreSQL the COPYs run in a thread of their own: while the server checks a batch (foreign keys
    are checked at the end of each COPY), this thread generates and normalizes the next one. At most
    two batches wait in the queue, so memory stays flat however many rows stream through.
    """

    def __init__(self, conn, dialect: str):
        self.conn, self.dialect = conn, dialect
        self.buffers: dict[str, list[tuple]] = {t: [] for t in TABLES}
        self.getters: dict[str, tuple[tuple[str, ...], operator.itemgetter]] = {}
        self.statements: dict[str, object] = {}
        self.rows: Counter = Counter()
        self.pending = 0
        self.error: BaseException | None = None
        self.thread = None
        if dialect == "postgresql":
            self.cursor = conn.connection.driver_connection.cursor()
            self.queue: queue.Queue = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._copy_loop, name="demo-copy", daemon=True)
            self.thread.start()

    def add(self, table: str, row: dict) -> None:
        getter = self.getters.get(table)
        if getter is None:
            getter = self.getters[table] = (tuple(row), operator.itemgetter(*row))
        self.buffers[table].append(getter[1](row))
        self.pending += 1
        if self.pending >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        batch = [(t, self.getters[t][0], rows) for t, rows in self.buffers.items() if rows]
        self.buffers = {t: [] for t in TABLES}
        self.pending = 0
        for table, _cols, rows in batch:
            self.rows[table] += len(rows)
        if self.thread is None:
            for table, cols, rows in batch:
                self.conn.execute(self._insert(table, cols), [dict(zip(cols, r)) for r in rows])
            return
        while True:  # never block forever on a queue whose consumer has died
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self, ok: bool = True) -> None:
        """Write what is left and stop the COPY thread (always, even when writing fails); re-raise its error."""
        try:
            if ok:
                self.flush()
        finally:
            if self.thread is not None:
                if not ok:  # drop what is queued: the transaction rolls back anyway
                    while not self.queue.empty():
                        self.queue.get_nowait()
                self.queue.put(None)
                self.thread.join()
        if ok and self.error is not None:
            raise self.error

    def _copy_loop(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is not None:
                continue
            try:
                for table, cols, rows in batch:
                    with self.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for r in rows:
                            copy.write_row(r)
            except BaseException as exc:  # handed to the main thread by flush()/close()
                self.error = exc

    def _insert(self, table: str, cols: tuple[str, ...]):
        stmt = self.statements.get(table)
        if stmt is None:
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
            typed = [bindparam(c, type_=db.UtcDateTime() if c.endswith("_at") else Date())
                     for c in cols if c.endswith(("_at", "_date"))]
            stmt = self.statements[table] = text(sql).bindparams(*typed)
        return stmt


def bulk_load(engine: Engine, records: Iterable[dict], *, now: dt.datetime, source: str,
              tz: ZoneInfo | None = None) -> Counter:
    """Stream records into an empty database: `intake.normalize` each, then COPY (PostgreSQL) or
    executemany (SQLite) in batches of BATCH_ROWS, all in one transaction (nothing half-loaded).

    For generated data only: records are checked field by field (normalize) and by the database's
    constraints, not against each other like `intake.import_records` does. A bad record aborts the load.
    """
    tz = tz or settings.business_timezone()
    with engine.begin() as conn:
        writer = _Writer(conn, engine.dialect.name)
        try:
            _stream(writer, records, now, tz)
        except BaseException:
            writer.close(ok=False)
            raise
        writer.close()
        db.execute(conn, "intake_insert_import", file_name=source[-500:], file_sha256="", started_at=now,
                   accepted=sum(writer.rows.values()), unchanged=0, updated=0, rejected=0)
    return writer.rows


def _stream(writer: _Writer, records: Iterable[dict], now: dt.datetime, tz: ZoneInfo) -> None:
    for n, record in enumerate(records, start=1):
        try:
            table, row = intake.normalize(record, tz)
        except intake.RecordError as exc:
            raise DemoError(f"record {n} ({record.get('type')} {record.get('id')}): {exc}") from exc
        if table == "complaints":
            writer.add("complaints", row)
            # as intake does: every landed complaint is queued for order derivation (deadlines)
            writer.add("order_sync_queue", {"complaint_id": row["id"], "queued_at": now})
        elif table == "events":
            del row["id"]
            row["recorded_at"] = now
            writer.add("events", row)
        else:
            writer.add(table, row)
        if n % 1_000_000 == 0:
            log.info("demo bulk load: %d records", n)
