"""`serve`: the annotation app in a browser, for annotators who can't or won't use a terminal."""

from __future__ import annotations

import ipaddress
import shlex
import socket
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from tui_annotate import access
from tui_annotate.cli.context import OVERLAP, Context, errors_to_exit
from tui_annotate.cli.output import say
from tui_annotate.errors import InputError

if TYPE_CHECKING:
    from textual_serve.server import Server


def is_loopback(host: str) -> bool:
    """True for names that only this machine can reach: localhost, 127.0.0.0/8, ::1."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # another name: it may resolve anywhere


def _url_host(host: str) -> str:
    """HOST as it goes in a URL or an ssh -L spec: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host else host


def _public_host(host: str) -> str:
    """The name a browser should use: a wildcard bind (0.0.0.0, ::) has none of its own."""
    try:
        wildcard = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        wildcard = False
    return socket.getfqdn() if wildcard else host


def _server(command: str, host: str, port: int, public_url: str, title: str) -> Server:
    from aiohttp import web
    from textual_serve.server import Server  # only `serve` pays for aiohttp and the server

    class LoopbackServer(Server):
        """Refuses websockets opened by pages from other sites.

        A web page on any site can open ws://127.0.0.1:PORT/ws from the
        user's browser (websockets are not bound by the same-origin policy),
        and the app would rate items under the serving user's name. A browser
        always sends Origin, so a page not served from this machine is refused.
        """

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            origin = request.headers.get("Origin")
            if origin is not None and not is_loopback(urlsplit(origin).hostname or ""):
                raise web.HTTPForbidden(text=f"websocket from origin {origin} refused\n")
            return await super().handle_websocket(request)

    cls = LoopbackServer if is_loopback(host) else Server
    return cls(command, host=host, port=port, public_url=public_url, title=title)


@click.command()
@click.option("--rubric", "rubric_name", required=True, help="The rubric to rate against.")
@OVERLAP
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port."
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other than loopback (unencrypted, and no password: see the warning).",
)
@click.pass_obj
@errors_to_exit
def serve(
    obj: Context, rubric_name: str, overlap: int | None, host: str, port: int, allow_remote: bool
) -> None:
    """Open the annotation app in a web browser (textual-serve), as your login.

    For annotators who prefer a browser: each browser tab runs its own
    `annotate` on this database, under the name of the user who serves.
    There is no login page, so it listens on 127.0.0.1 unless told
    otherwise; from another machine, reach it through an SSH tunnel.
    """
    host = host.strip().removeprefix("[").removesuffix("]")
    user = access.login_name()
    if not is_loopback(host) and not allow_remote:
        raise InputError(
            f"refusing to serve on {host}: it is not a loopback address, and anyone who can "
            f"reach it could annotate as {user}. Keep the default 127.0.0.1 and tunnel "
            f"(ssh -L {port}:127.0.0.1:{port} HOST), or pass --allow-remote",
            field="--host",
        )
    obj.require_db(" (import items first, or pass --db)")
    obj.rubric(rubric_name)  # an unknown or broken rubric fails here, not in every browser tab

    argv = [sys.executable, "-m", "tui_annotate", "--db", str(obj.db_path.resolve())]
    if obj.rubrics_dir is not None:
        argv += ["--rubrics", str(obj.rubrics_dir.resolve())]
    argv += ["annotate", "--rubric", rubric_name]
    if overlap is not None:
        argv += ["--overlap", str(overlap)]
    command = shlex.join(argv)  # textual-serve runs it through the shell

    url = f"http://{_url_host(_public_host(host))}:{port}"
    tunnel = f"ssh -L {port}:{_url_host(host if is_loopback(host) else '127.0.0.1')}:{port}"
    if is_loopback(host):
        say(f"Open {url} in a browser on this machine; you annotate as {user}.")
        say(f"From another machine: {tunnel} {socket.gethostname()}, then open {url} there.")
    else:
        say(
            f"WARNING: serving on {host}:{port} with no login: anyone who can reach that "
            f"address can annotate under {user}'s name, and the traffic (items and labels) "
            f"is unencrypted. Prefer the default 127.0.0.1 and an SSH tunnel: "
            f"{tunnel} {socket.gethostname()}",
            err=True,
        )
        say(f"Open {url} in a browser; everyone annotates as {user}.")
    say("Ctrl+C stops the server; labels are saved as they are made.")

    server = _server(command, host, port, url, title=f"tui-annotate: {rubric_name}")
    try:
        server.serve()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise InputError(
            f"cannot listen on {_url_host(host)}:{port}: {exc.strerror or exc}"
        ) from None
