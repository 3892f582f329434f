"""``python -m lcgis review …`` and ``python -m lcgis users …``: the review store's commands.

Registered into :mod:`lcgis.cli` by :func:`add_parsers` and :data:`COMMANDS`. The store is the
installation's: ``--db URL``, else env ``LCGIS_DATABASE_URL``, else ``review.sqlite`` in the
state folder (env ``LCGIS_STATE_DIR``, else ``~/.local/state/lcgis``). Reviews are kept per
dataset: ``--dataset ID``, else the id of the folder ``--data DIR`` (else env
``LCGIS_DATA_DIR``, else ``data/``; see :func:`lcgis.review.dataset_id`). ``review verify``
opens the store read-only. A refused change exits 1 (it is logged in the history); wrong usage
exits 2.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lcgis.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from lcgis.review import Review, ReviewStore

ROLE_CHOICES = ("viewer", "reviewer", "admin")


def _add_db(sp: argparse.ArgumentParser, *, dataset: bool = True) -> None:
    sp.add_argument(
        "--db",
        metavar="URL",
        help="核查数据库(SQLite 文件或 postgresql://…；默认环境变量 LCGIS_DATABASE_URL，"
        "否则为状态目录(环境变量 LCGIS_STATE_DIR，默认 ~/.local/state/lcgis)中的 review.sqlite)",
    )
    if not dataset:
        return
    sp.add_argument(
        "--data",
        metavar="DIR",
        help="数据目录：核查记录按数据集分开保存(默认环境变量 LCGIS_DATA_DIR，否则 data/)",
    )
    sp.add_argument(
        "--dataset",
        metavar="ID",
        help="直接给出数据集编号(覆盖 --data；见 review datasets，旧版记录为 legacy)",
    )


def add_parsers(sub: Any) -> None:
    """Add ``review`` and ``users`` to the subcommands ``sub`` of the main parser."""
    rv = sub.add_parser("review", help="宗地核查：修改状态、查看、变更记录、核验、导出")
    rsub = rv.add_subparsers(dest="review_command", required=True, parser_class=type(rv))

    st = rsub.add_parser("set", help="修改一宗地的核查记录(密码取自环境变量 LCGIS_PASSWORD)")
    st.add_argument("parcel_id", help="宗地编号")
    st.add_argument("--status", required=True, metavar="S", help="核查状态，如 核查中、已核实")
    st.add_argument("--user", required=True, metavar="U", help="用户名")
    st.add_argument("--note", metavar="N", help="备注(写空字符串即清除)")
    st.add_argument("--reason", metavar="R", help="原因，如 政府原因")
    st.add_argument("--assignee", metavar="A", help="责任人")
    st.add_argument("--due", metavar="YYYY-MM-DD", help="办理期限")
    st.add_argument("--tags", metavar="T", help="标签，逗号分隔")
    st.add_argument(
        "--expect-version",
        type=int,
        dest="expect_version",
        metavar="V",
        help="你读取时的版本号；若此后已被他人修改则拒绝(不写则以提交时的最新版本为准)",
    )
    _add_db(st)

    sh = rsub.add_parser("show", help="显示一宗地当前的核查记录及其版本号")
    sh.add_argument("parcel_id", help="宗地编号")
    sh.add_argument("--json", action="store_true", help="以 JSON 输出")
    _add_db(sh)

    lg = rsub.add_parser("log", help="变更记录(每行一条；--csv 输出 CSV)")
    lg.add_argument("parcel_id", nargs="?", help="只看这一宗地")
    lg.add_argument("--csv", action="store_true", help="输出 CSV(含表头)")
    _add_db(lg)

    vf = rsub.add_parser(
        "verify",
        help="以只读方式核验整个核查库：哈希链(带密钥)、核查状态、见证文件(完整退出 0，否则 1)",
    )
    _add_db(vf)

    ds = rsub.add_parser("datasets", help="列出核查库中的数据集及其核查记录数")
    _add_db(ds, dataset=False)

    ex = rsub.add_parser("export", help="导出当前核查状态和变更记录(.xlsx)")
    ex.add_argument("--out", required=True, metavar="F.xlsx", help="输出工作簿")
    _add_db(ex)

    us = sub.add_parser("users", help="用户管理(查看/核查/管理 三种角色)")
    usub = us.add_subparsers(dest="users_command", required=True, parser_class=type(us))
    ad = usub.add_parser(
        "add", help="添加用户(从标准输入读一行密码；管理员密码至少 12 个字符且不同于用户名)"
    )
    ad.add_argument("name", help="用户名")
    ad.add_argument("--role", required=True, choices=ROLE_CHOICES, help="角色")
    _add_db(ad, dataset=False)
    pw = usub.add_parser("passwd", help="重设密码(从标准输入读一行密码)")
    pw.add_argument("name", help="用户名")
    _add_db(pw, dataset=False)
    ro = usub.add_parser("role", help="修改角色")
    ro.add_argument("name", help="用户名")
    ro.add_argument("role", choices=ROLE_CHOICES, help="新角色")
    _add_db(ro, dataset=False)
    rm = usub.add_parser("remove", help="删除用户(其变更记录保留)")
    rm.add_argument("name", help="用户名")
    _add_db(rm, dataset=False)
    ls = usub.add_parser("list", help="列出用户(及登录失败后被暂停的用户名和客户端)")
    _add_db(ls, dataset=False)
    ul = usub.add_parser("unlock", help="解除登录暂停(清除失败次数)")
    ul.add_argument("name", nargs="?", help="用户名")
    ul.add_argument("--client", metavar="ADDR", help="客户端(IP 地址，或 命令行)")
    _add_db(ul, dataset=False)
    lg = usub.add_parser("log", help="最近的登录记录(成功、失败、被拒)")
    lg.add_argument("--limit", type=int, default=50, metavar="N", help="显示条数(默认 50)")
    _add_db(lg, dataset=False)


def _store(args: argparse.Namespace) -> ReviewStore:
    from lcgis.review import open_store

    return open_store(args.db)


def _dataset(args: argparse.Namespace) -> str:
    """The dataset id: ``--dataset``, else that of ``--data`` / env LCGIS_DATA_DIR / data/."""
    from lcgis.review import dataset_id

    if getattr(args, "dataset", None):
        return str(args.dataset).strip()
    return dataset_id(getattr(args, "data", None) or os.environ.get("LCGIS_DATA_DIR") or "data")


def _show_value(value: object) -> str:
    if value is None or value == "" or value == ():
        return "-"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _format_review(review: Review, exists: bool) -> str:
    from lcgis.review import format_time

    lines = [] if exists else [f"宗地 {review.parcel_id} 尚无核查记录。"]
    rows = (
        ("宗地编号", "parcel_id", review.parcel_id),
        ("核查状态", "status", review.status),
        ("原因", "reason", review.reason),
        ("责任人", "assignee", review.assignee),
        ("办理期限", "due_date", review.due_date),
        ("备注", "note", review.note),
        ("标签", "tags", review.tags),
        ("版本", "version", review.version),
        ("最后修改人", "updated_by", review.updated_by),
        ("最后修改时间", "updated_at", format_time(review.updated_at)),
    )
    lines += [f"{zh} {en}: {_show_value(v)}" for zh, en, v in rows]
    return "\n".join(lines)


def _read_password() -> str:
    """One line from standard input (no echo when it is a terminal)."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("密码：")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def cmd_review(args: argparse.Namespace) -> int:
    """Dispatch ``review set|show|log|verify|datasets|export``."""
    from lcgis.review import Review, verify_store

    sub = args.review_command
    if sub == "export" and Path(args.out).suffix.lower() != ".xlsx":
        raise UsageError(f"--out 应为 .xlsx 文件：{args.out}")
    if sub == "verify":
        res = verify_store(args.db)
        if res.ok:
            print(res.message)
            return 0
        print(f"错误：{res.message}", file=sys.stderr)
        return 1
    dataset = "" if sub == "datasets" else _dataset(args)
    with _store(args) as store:
        if sub == "set":
            result = store.set_review(
                args.parcel_id,
                dataset=dataset,
                by=args.user,
                password=os.environ.get("LCGIS_PASSWORD"),
                expect_version=args.expect_version,
                status=args.status,
                **{
                    key: value
                    for key, value in (
                        ("note", args.note),
                        ("reason", args.reason),
                        ("assignee", args.assignee),
                        ("due_date", args.due),
                        ("tags", args.tags),
                    )
                    if value is not None
                },
            )
            r = result.review
            print(
                f"已保存：宗地 {r.parcel_id} 状态 {r.status}，version: {r.version}"
                f"(变更记录第 {result.entry.seq} 条)"
            )
            return 0
        if sub == "show":
            found = store.get(args.parcel_id, dataset=dataset)
            review = found or Review.unreviewed(args.parcel_id, dataset)
            if args.json:
                data = {**review.values(), "parcel_id": review.parcel_id}
                data.update(version=review.version, updated_by=review.updated_by)
                data["dataset_id"] = dataset
                data["updated_at"] = review.updated_at.isoformat() if review.updated_at else None
                print(json.dumps(data, ensure_ascii=False, indent=2))
            else:
                print(_format_review(review, exists=found is not None))
            return 0
        if sub == "log":
            return _log(store, args, dataset)
        if sub == "datasets":
            rows = store.datasets()
            for name, reviews, entries in rows:
                print(f"{name}\t核查记录 {reviews} 宗\t变更记录 {entries} 条")
            if not rows:
                print("核查库中还没有任何数据集的核查记录。")
            return 0
        out = store.export_xlsx(args.out, dataset=dataset)
        print(
            f"已写出 {out}：数据集 {dataset}，核查记录 {len(store.reviews(dataset=dataset))} 宗，"
            f"变更记录 {len(store.history(dataset=dataset))} 条"
        )
        return 0


def _log(store: ReviewStore, args: argparse.Namespace, dataset: str) -> int:
    from lcgis.review import format_time

    if args.csv:
        frame = store.history_frame(args.parcel_id, dataset=dataset)
        frame["accepted"] = frame["accepted"].map({True: "true", False: "false"})
        from lcgis.views.sanitize import csv_frame

        csv_frame(frame).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    entries = store.history(args.parcel_id, dataset=dataset)
    if not entries:
        print("没有变更记录。")
    for e in entries:
        verdict = "已生效" if e.accepted else "已拒绝"
        note = (e.new or {}).get("note")
        line = (
            f"#{e.seq} {format_time(e.at)} 宗地 {e.parcel_id} 用户 {e.user} "
            f"状态 {e.status} version {e.version} {verdict}：{e.message}"
        )
        print(line + (f" 备注：{note}" if note else ""))
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """Dispatch ``users add|passwd|role|remove|list|unlock|log``."""
    from lcgis.review import ROLE_LABELS, format_time

    sub = args.users_command
    with _store(args) as store:
        if sub == "add":
            password = _read_password()
            user = store.add_user(args.name, password, args.role)
            if len(password) < 8:
                print("提示：密码少于 8 个字符，建议改用更长的密码", file=sys.stderr)
            print(f"已添加用户 {user.name}(角色 {ROLE_LABELS[user.role]} {user.role})")
        elif sub == "passwd":
            store.set_password(args.name, _read_password())
            print(f"已重设用户 {args.name} 的密码")
        elif sub == "role":
            store.set_role(args.name, args.role)
            print(f"用户 {args.name} 的角色已改为 {ROLE_LABELS[args.role]}({args.role})")
        elif sub == "remove":
            store.remove_user(args.name)
            print(f"已删除用户 {args.name}(其变更记录保留)")
        elif sub == "unlock":
            if not args.name and not args.client:
                raise UsageError("请给出用户名，或用 --client 指定客户端")
            n = store.unlock(user=args.name, client=args.client)
            who = "、".join(x for x in (args.name, args.client and f"客户端 {args.client}") if x)
            print(f"已解除 {who} 的登录暂停(清除 {n} 个失败计数)")
        elif sub == "log":
            for e in store.login_log(max(1, args.limit)):
                print(f"{format_time(e.at)}\t{e.outcome}\t{e.user}\t{e.client}\t{e.message}")
        else:
            users = store.users()
            for u in users:
                print(f"{u.name}\t{u.role}\t{ROLE_LABELS.get(u.role, '')}")
            if not users:
                print("还没有用户：用 python -m lcgis users add 名字 --role admin 添加")
            _print_lockouts(store)
    return 0


def _print_lockouts(store: ReviewStore) -> None:
    """The user names and clients that are paused now, with their failures."""
    import datetime as dt

    from lcgis.review import format_time

    now = dt.datetime.now(dt.UTC)
    locked = [x for x in store.lockouts() if x.locked_until and x.locked_until > now]
    for x in locked:
        kind, _, who = x.subject.partition(":")
        label = "用户名" if kind == "user" else "客户端"
        print(
            f"已暂停登录：{label} {who}(连续失败 {x.failures} 次，至 {format_time(x.locked_until)})"
            f"，可用 python -m lcgis users unlock 解除"
        )


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "review": cmd_review,
    "users": cmd_users,
}
