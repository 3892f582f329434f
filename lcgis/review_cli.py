"""``python -m lcgis review …`` and ``python -m lcgis users …``: the review store's commands.

Registered into :mod:`lcgis.cli` by :func:`add_parsers` and :data:`COMMANDS`. The store is
chosen by ``--db URL``, else env ``LCGIS_DATABASE_URL``, else ``review.sqlite`` in ``--data
DIR``, else in env ``LCGIS_DATA_DIR``, else in ``data/``. A refused change exits 1 (it is
logged in the history); wrong usage exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError

if TYPE_CHECKING:
    from .review import Review, ReviewStore

ROLE_CHOICES = ("viewer", "reviewer", "admin")


def _add_db(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--db",
        metavar="URL",
        help="核查数据库(SQLite 文件或 postgresql://…；默认环境变量 LCGIS_DATABASE_URL，"
        "否则为数据目录中的 review.sqlite)",
    )
    sp.add_argument(
        "--data",
        metavar="DIR",
        help="数据目录(默认环境变量 LCGIS_DATA_DIR，否则 data/)",
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

    vf = rsub.add_parser("verify", help="核验变更记录的哈希链(完整退出 0，被删改退出 1)")
    _add_db(vf)

    ex = rsub.add_parser("export", help="导出当前核查状态和变更记录(.xlsx)")
    ex.add_argument("--out", required=True, metavar="F.xlsx", help="输出工作簿")
    _add_db(ex)

    us = sub.add_parser("users", help="用户管理(查看/核查/管理 三种角色)")
    usub = us.add_subparsers(dest="users_command", required=True, parser_class=type(us))
    ad = usub.add_parser("add", help="添加用户(从标准输入读一行密码)")
    ad.add_argument("name", help="用户名")
    ad.add_argument("--role", required=True, choices=ROLE_CHOICES, help="角色")
    _add_db(ad)
    pw = usub.add_parser("passwd", help="重设密码(从标准输入读一行密码)")
    pw.add_argument("name", help="用户名")
    _add_db(pw)
    ro = usub.add_parser("role", help="修改角色")
    ro.add_argument("name", help="用户名")
    ro.add_argument("role", choices=ROLE_CHOICES, help="新角色")
    _add_db(ro)
    rm = usub.add_parser("remove", help="删除用户(其变更记录保留)")
    rm.add_argument("name", help="用户名")
    _add_db(rm)
    ls = usub.add_parser("list", help="列出用户")
    _add_db(ls)


def _store(args: argparse.Namespace) -> ReviewStore:
    from .review import open_store

    return open_store(args.db, args.data)


def _show_value(value: object) -> str:
    if value is None or value == "" or value == ():
        return "-"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _format_review(review: Review, exists: bool) -> str:
    from .review import format_time

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
    """Dispatch ``review set|show|log|verify|export``."""
    from .review import Review

    sub = args.review_command
    if sub == "export" and Path(args.out).suffix.lower() != ".xlsx":
        raise UsageError(f"--out 应为 .xlsx 文件：{args.out}")
    with _store(args) as store:
        if sub == "set":
            result = store.set_review(
                args.parcel_id,
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
            found = store.get(args.parcel_id)
            review = found or Review.unreviewed(args.parcel_id)
            if args.json:
                data = {**review.values(), "parcel_id": review.parcel_id}
                data.update(version=review.version, updated_by=review.updated_by)
                data["updated_at"] = review.updated_at.isoformat() if review.updated_at else None
                print(json.dumps(data, ensure_ascii=False, indent=2))
            else:
                print(_format_review(review, exists=found is not None))
            return 0
        if sub == "log":
            return _log(store, args)
        if sub == "verify":
            res = store.verify()
            if res.ok:
                print(res.message)
                return 0
            print(f"错误：{res.message}", file=sys.stderr)
            return 1
        out = store.export_xlsx(args.out)
        print(
            f"已写出 {out}：核查记录 {len(store.reviews())} 宗，变更记录 {len(store.history())} 条"
        )
        return 0


def _log(store: ReviewStore, args: argparse.Namespace) -> int:
    from .review import format_time

    if args.csv:
        frame = store.history_frame(args.parcel_id)
        frame["accepted"] = frame["accepted"].map({True: "true", False: "false"})
        from .sanitize import csv_frame

        csv_frame(frame).to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    entries = store.history(args.parcel_id)
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
    """Dispatch ``users add|passwd|role|remove|list``."""
    from .review import ROLE_LABELS

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
        else:
            users = store.users()
            for u in users:
                print(f"{u.name}\t{u.role}\t{ROLE_LABELS.get(u.role, '')}")
            if not users:
                print("还没有用户：用 python -m lcgis users add 名字 --role admin 添加")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "review": cmd_review,
    "users": cmd_users,
}
