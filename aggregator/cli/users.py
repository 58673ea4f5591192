"""`aggregator users add | list | passwd | remove`: who may sign in to the admin console."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aggregator.cli.common import EXIT_OK, open_storage
from aggregator.errors import NotFound, StorageError

if TYPE_CHECKING:
    from aggregator.store import Storage


def register(commands: Any) -> None:
    parser = commands.add_parser("users", help="admin console users")
    sub = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="add a user (asks for the password)")
    _name_and_password(add).set_defaults(handler=cmd_add)
    sub.add_parser("list", help="list users").set_defaults(handler=cmd_list)
    passwd = sub.add_parser("passwd", help="set a user's password (their sessions end at once)")
    _name_and_password(passwd).set_defaults(handler=cmd_passwd)
    remove = sub.add_parser("remove", help="remove a user (their sessions end at once)")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_remove)


def _name_and_password(parser: Any) -> Any:
    parser.add_argument("name")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (also when stdin is not a terminal)",
    )
    return parser


def read_password(from_stdin: bool) -> str | None:
    """The new password, typed twice on a terminal; None (after saying why) when unusable."""
    from aggregator.admin.auth import password_problem

    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return None
    problem = password_problem(password)
    if problem:
        print(problem, file=sys.stderr)
        return None
    return password


def cmd_add(args: argparse.Namespace) -> int:
    from aggregator.admin.auth import hash_password

    name = args.name.strip()
    if not name or len(name) > 200:
        print("a user name needs 1 to 200 characters", file=sys.stderr)
        return 1
    password = read_password(args.password_stdin)
    if password is None:
        return 1
    hashed = hash_password(password)
    return _change(args, lambda storage: storage.add_user(name, hashed), f"added user {name}")


def cmd_list(args: argparse.Namespace) -> int:
    storage = open_storage(args)
    try:
        users = storage.users()
    finally:
        storage.close()
    for user in users:
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
        print(f"{user.name}\tcreated {user.created_at:%Y-%m-%d}\tlast sign-in {last}")
    return EXIT_OK


def cmd_passwd(args: argparse.Namespace) -> int:
    from aggregator.admin.auth import hash_password

    password = read_password(args.password_stdin)
    if password is None:
        return 1
    hashed = hash_password(password)
    done = f"changed the password of {args.name}; their sessions have ended"
    return _change(args, lambda storage: storage.set_password(args.name, hashed), done)


def cmd_remove(args: argparse.Namespace) -> int:
    return _change(
        args, lambda storage: storage.remove_user(args.name), f"removed user {args.name}"
    )


def _change(args: argparse.Namespace, change: Callable[[Storage], object], done: str) -> int:
    """One change to the users in the store; says what was done, or why not (exit 1)."""
    storage = open_storage(args)
    try:
        change(storage)
    except NotFound:
        print(f"no user {args.name!r}", file=sys.stderr)
        return 1
    except StorageError as exc:  # e.g. the name is taken
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        storage.close()
    print(done)
    return EXIT_OK
